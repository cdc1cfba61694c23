import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ProjectView } from '../src/emit/server/view-model';
import { packageJsonObject } from '../src/project/json-files';
import { readProjectScripts } from '../src/project/sources';
import { REPO_ROOT } from './support/project';

/**
 * The generated project's `npm start` (scripts/start.cjs): it bundles only when `dist/server.js` is
 * missing or older than a source, and the validator modules stay out of the bundle, required from
 * `src/` at run time. Run on a tiny project with the same layout, so that it takes seconds.
 */
const SOURCES = [
  'src/server.ts',
  'src/fhir/r4/schemas/index.ts',
  'src/fhir/r4/schemas/validators/index.ts',
  'src/fhir/r4/schemas/validators/Thing.js',
  'src/fhir/r4/binding.ts',
  'src/fhir/r4/server/facts.json',
];

describe('generated project: start script', () => {
  let dir: string;
  const OLD = new Date('2020-01-01T00:00:00Z');
  const BUILT = new Date('2021-01-01T00:00:00Z');
  const LATER = new Date('2022-01-01T00:00:00Z');
  const bundle = () => path.join(dir, 'dist', 'server.js');
  const start = () => execFileSync(process.execPath, ['scripts/start.cjs'], { cwd: dir, encoding: 'utf8' });
  const write = (relative: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    writeFileSync(path.join(dir, relative), text);
  };
  /** Every source older than the bundle, and the bundle's time set to BUILT. */
  const settle = () => {
    const files = [
      'package.json',
      ...SOURCES,
      ...[...readProjectScripts().keys()].map((name) => `scripts/${name}`),
    ];
    for (const file of files) utimesSync(path.join(dir, file), OLD, OLD);
    utimesSync(bundle(), BUILT, BUILT);
  };
  const server = (greeting: string) =>
    `import { facts } from './fhir/r4/binding';\nimport { check } from './fhir/r4/schemas/index';\nconsole.log('${greeting}', check(), facts.label);\n`;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-start-script-'));
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    for (const [name, text] of readProjectScripts()) write(`scripts/${name}`, text);
    write('package.json', JSON.stringify({ name: 'tiny', private: true }));
    write('src/server.ts', server('hello'));
    // The layout of a version's validators: an index requiring `./<Type>.js` beside it.
    write(
      'src/fhir/r4/schemas/index.ts',
      "import { load } from './validators/index';\nexport const check = () => load()();\n",
    );
    write(
      'src/fhir/r4/schemas/validators/index.ts',
      "export const load = () => require('./Thing.js') as () => string;\n",
    );
    write('src/fhir/r4/schemas/validators/Thing.js', "module.exports = () => 'validator-from-src';\n");
    // A version's JSON data, required beside its binding as a generated project's binding does.
    write('src/fhir/r4/server/facts.json', JSON.stringify({ label: 'facts-from-src' }));
    write(
      'src/fhir/r4/binding.ts',
      "export const facts = require('./server/facts.json') as { label: string };\n",
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is what the generated package.json runs', () => {
    const view = { name: 'x', versions: [] } as unknown as ProjectView;
    const scripts = packageJsonObject(view).scripts as Record<string, string>;
    assert.equal(scripts.start, 'node scripts/start.cjs');
    assert.equal(scripts.build, 'node scripts/build.cjs');
  });

  it('bundles on the first start, leaving the validator modules and JSON data in src/', () => {
    assert.equal(start().trim(), 'hello validator-from-src facts-from-src');
    const text = readFileSync(bundle(), 'utf8');
    assert.ok(!text.includes('validator-from-src'), 'the validator module is not in the bundle');
    assert.match(text, /require\("\.\.\/src\/fhir\/r4\/schemas\/validators\/Thing\.js"\)/);
    assert.ok(!text.includes('facts-from-src'), 'the JSON data is not in the bundle');
    assert.match(text, /require\("\.\.\/src\/fhir\/r4\/server\/facts\.json"\)/);
  });

  it('does not bundle again while the bundle is newer than every source', () => {
    settle();
    assert.equal(start().trim(), 'hello validator-from-src facts-from-src');
    assert.equal(statSync(bundle()).mtime.getTime(), BUILT.getTime());
  });

  it('bundles again when a source under src/ is newer, and runs the new code', () => {
    settle();
    write('src/server.ts', server('changed'));
    utimesSync(path.join(dir, 'src/server.ts'), LATER, LATER);
    assert.equal(start().trim(), 'changed validator-from-src facts-from-src');
    assert.ok(statSync(bundle()).mtime.getTime() > LATER.getTime());
  });

  it('bundles again when package.json or a nested source is newer, or the bundle is gone', () => {
    for (const file of ['package.json', 'src/fhir/r4/schemas/validators/Thing.js']) {
      settle();
      utimesSync(path.join(dir, file), LATER, LATER);
      start();
      assert.ok(statSync(bundle()).mtime.getTime() > LATER.getTime(), file);
    }
    rmSync(bundle());
    assert.equal(start().trim(), 'changed validator-from-src facts-from-src');
  });
});
