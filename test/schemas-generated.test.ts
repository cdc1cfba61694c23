import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { VERSIONS } from './schemas-support';
import { tempFolders } from './support/temp';

const ROOT = path.join(__dirname, '..');
const folders = VERSIONS.map((version) => path.join(ROOT, 'generated', version, 'schemas'));

/** Every file of a schemas folder, `validators/` included, as absolute paths. */
function filesOf(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** The committed `generated/<version>/schemas/` folders, as generated projects receive them. */
describe('generated schema folders', function () {
  this.timeout(180_000);
  const temp = tempFolders('schemas-tsc');
  after(() => temp.cleanup());

  it('depend on nothing but ajv, Node built-ins and each other, through static imports and requires', () => {
    for (const folder of folders) {
      for (const file of filesOf(folder).filter((name) => /\.(ts|js)$/.test(name))) {
        const text = readFileSync(file, 'utf8');
        for (const [, imported, required] of text.matchAll(/from '([^']+)'|require\(([^)]*)\)/g)) {
          // A require's argument must be a string literal: bundlers follow nothing else.
          const literal = required === undefined ? undefined : /^(['"])([^'"]+)\1$/.exec(required);
          assert.ok(required === undefined || literal, `${file}: require(${required})`);
          const specifier = imported ?? literal?.[2] ?? '';
          assert.match(
            specifier,
            /^(ajv(\/[a-z/]+)?|node:[a-z]+|\.\/[A-Za-z-]+(\/index)?(\.js|\.json)?|\.\.\/[a-z-]+)$/,
            `${file}: ${specifier}`,
          );
        }
      }
    }
  });

  it('hold one module per concrete resource type plus the shared data types, each required by the index', () => {
    for (const folder of folders) {
      const index = readFileSync(path.join(folder, 'validators', 'index.ts'), 'utf8');
      const modules = readdirSync(path.join(folder, 'validators')).filter((name) => name.endsWith('.js'));
      const required = [...index.matchAll(/require\('\.\/([A-Za-z]+\.js)'\)/g)].map(([, name]) => name);
      assert.deepEqual(required.sort(), modules.sort());
      assert.ok(modules.includes('datatypes.js') && modules.includes('Patient.js'), folder);
    }
  });

  it('keep every file under 5 MB', () => {
    for (const folder of folders) {
      for (const file of filesOf(folder)) assert.ok(statSync(file).size < 5_000_000, file);
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
      files: folders.flatMap((folder) => filesOf(folder).filter((name) => name.endsWith('.ts'))),
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

  it('bundle with esbuild into one file that validates every resource type with no file next to it', () => {
    for (const folder of folders) {
      const dir = temp.make();
      const entry = path.join(dir, 'entry.ts');
      writeFileSync(
        entry,
        [
          `import { getValidator } from ${JSON.stringify(path.join(folder, 'index.ts'))};`,
          'const validator = getValidator();',
          'const ready = validator.loadAll();',
          "const bad = validator.validate({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Patient', gender: 'robot' } }] });",
          'console.log(JSON.stringify({ ready, types: validator.resourceTypes.length, issues: bad.issues }));',
        ].join('\n'),
      );
      const outfile = path.join(dir, 'bundle.js');
      // ajv included too: the bundle runs from a folder with no node_modules and no generated files.
      buildSync({ entryPoints: [entry], bundle: true, platform: 'node', outfile, logLevel: 'error' });
      const run = spawnSync(process.execPath, [outfile], { encoding: 'utf8', cwd: dir });
      assert.equal(run.status, 0, run.stderr);
      const result = JSON.parse(run.stdout) as { ready: number; types: number; issues: { path: string }[] };
      assert.ok(result.ready > 90, folder);
      assert.equal(result.ready, result.types);
      assert.deepEqual(
        result.issues.map((issue) => issue.path),
        ['Bundle.entry[0].resource.gender'],
      );
    }
  });
});
