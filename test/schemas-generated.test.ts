import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { VERSIONS } from './schemas-support';
import { tempFolders } from './support/temp';

const ROOT = path.join(__dirname, '..');
const folders = VERSIONS.map((version) => path.join(ROOT, 'generated', version, 'schemas'));

/** The committed `generated/<version>/schemas/` folders, as generated projects receive them. */
describe('generated schema folders', function () {
  this.timeout(180_000);
  const temp = tempFolders('schemas-tsc');
  after(() => temp.cleanup());

  it('depend on nothing but ajv, Node built-ins and each other', () => {
    for (const folder of folders) {
      for (const file of readdirSync(folder).filter((name) => name.endsWith('.ts'))) {
        const text = readFileSync(path.join(folder, file), 'utf8');
        for (const [, specifier] of text.matchAll(/from '([^']+)'/g)) {
          assert.match(
            specifier as string,
            /^(ajv(\/.*)?|node:[a-z]+|\.\/[a-z-]+)$/,
            `${folder}/${file}: ${specifier}`,
          );
        }
      }
    }
  });

  it('keep every file under 5 MB', () => {
    for (const folder of folders) {
      for (const file of readdirSync(folder))
        assert.ok(statSync(path.join(folder, file)).size < 5_000_000, file);
    }
  });

  it('compile under strict tsc', () => {
    const dir = temp.make();
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'node16',
        moduleResolution: 'node16',
        strict: true,
        noUncheckedIndexedAccess: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [path.join(ROOT, 'node_modules', '@types')],
      },
      files: folders.flatMap((folder) =>
        readdirSync(folder)
          .filter((name) => name.endsWith('.ts'))
          .map((name) => path.join(folder, name)),
      ),
    };
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const run = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
  });

  it('load and validate on their own', () => {
    for (const folder of folders) {
      const generated = require(path.join(folder, 'index.ts')) as {
        validate(json: unknown): { valid: boolean; issues: { code: string }[] };
      };
      assert.equal(generated.validate({ resourceType: 'Patient', gender: 'female' }).valid, true);
      assert.deepEqual(
        generated.validate({ resourceType: 'Patient', gender: 'robot' }).issues.map((issue) => issue.code),
        ['code-invalid'],
      );
    }
  });
});
