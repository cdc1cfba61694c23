/**
 * Golden files: a few whole emitted classes per version, reviewed by eye once. A change to the emitter
 * shows up here as a readable diff; after reviewing it, refresh with `UPDATE_GOLDEN=1 npx mocha
 * test/classes-golden.test.ts`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { emitClasses } from '../src/emit/classes/index';
import { loadModel } from './support/models';

const GOLDEN_DIR = path.join(__dirname, 'fixtures', 'golden');
const GOLDEN_CLASSES = ['Patient', 'Observation', 'Bundle', 'Questionnaire', 'Extension'];
const update = process.env.UPDATE_GOLDEN === '1';

for (const version of ['r4', 'stu3', 'dstu2'] as const) {
  describe(`golden classes of ${version}`, () => {
    let files: Map<string, string>;
    before(async function () {
      this.timeout(120_000);
      files = emitClasses(await loadModel(version));
    });

    for (const name of GOLDEN_CLASSES) {
      it(`${name} matches test/fixtures/golden/${version}/${name}.ts`, () => {
        const emitted = files.get(`classes/${name}.ts`);
        assert.ok(emitted, `no classes/${name}.ts emitted`);
        const golden = path.join(GOLDEN_DIR, version, `${name}.ts`);
        if (update || !existsSync(golden)) {
          assert.ok(update, `missing golden file ${golden}: run with UPDATE_GOLDEN=1 and review it`);
          mkdirSync(path.dirname(golden), { recursive: true });
          writeFileSync(golden, emitted);
        }
        assert.equal(emitted, readFileSync(golden, 'utf8'));
      });
    }
  });
}
