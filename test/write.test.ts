import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isFhirgenError } from '../src/errors';
import { checkFiles, writeFiles } from '../src/write/index';

describe('writer', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'fhirgen-write-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const read = (relative: string) => readFileSync(path.join(root, relative), 'utf8');
  const put = (relative: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    writeFileSync(path.join(root, relative), text);
  };

  it('writes new files, creating folders', () => {
    const result = writeFiles(
      root,
      new Map([
        ['a/b/c.ts', 'c'],
        ['d.ts', 'd'],
      ]),
    );
    assert.deepEqual(result.written, ['a/b/c.ts', 'd.ts']);
    assert.equal(read('a/b/c.ts'), 'c');
  });

  it('skips files whose content is unchanged and leaves them untouched on disk', () => {
    put('same.ts', 'same');
    const old = new Date('2001-01-01T00:00:00Z');
    utimesSync(path.join(root, 'same.ts'), old, old);
    const result = writeFiles(
      root,
      new Map([
        ['same.ts', 'same'],
        ['new.ts', 'new'],
      ]),
    );
    assert.deepEqual(result.unchanged, ['same.ts']);
    assert.deepEqual(result.written, ['new.ts']);
    assert.equal(statSync(path.join(root, 'same.ts')).mtime.getTime(), old.getTime());
  });

  it('rewrites changed files', () => {
    put('x.ts', 'old');
    assert.deepEqual(writeFiles(root, new Map([['x.ts', 'new']])).written, ['x.ts']);
    assert.equal(read('x.ts'), 'new');
  });

  it('never overwrites a user-owned file, but creates it when missing', () => {
    put('src/services/patient.service.ts', 'my code');
    const isUserOwned = (file: string) => file.startsWith('src/services/');
    const files = new Map([
      ['src/services/patient.service.ts', 'stub'],
      ['src/services/observation.service.ts', 'stub'],
    ]);
    const result = writeFiles(root, files, { isUserOwned });
    assert.equal(read('src/services/patient.service.ts'), 'my code');
    assert.equal(read('src/services/observation.service.ts'), 'stub');
    assert.deepEqual(result.keptUserOwned, ['src/services/patient.service.ts']);
    assert.deepEqual(result.written, ['src/services/observation.service.ts']);
    assert.equal(checkFiles(root, files, { isUserOwned }).upToDate, true);
  });

  it('removes extra files from managed folders only', () => {
    put('gen/old.ts', 'old');
    put('gen/keep.ts', 'keep');
    put('other/untouched.ts', 'x');
    const result = writeFiles(root, new Map([['gen/keep.ts', 'keep']]), { managedDirs: ['gen'] });
    assert.deepEqual(result.removed, ['gen/old.ts']);
    assert.equal(read('other/untouched.ts'), 'x');
  });

  it('check mode reports stale, missing and extra files and writes nothing', () => {
    put('gen/stale.ts', 'old');
    put('gen/ok.ts', 'ok');
    put('gen/sub/extra.ts', 'extra');
    const files = new Map([
      ['gen/stale.ts', 'new'],
      ['gen/ok.ts', 'ok'],
      ['gen/missing.ts', 'm'],
    ]);
    const result = checkFiles(root, files, { managedDirs: ['gen'] });
    assert.deepEqual(result, {
      stale: ['gen/stale.ts'],
      missing: ['gen/missing.ts'],
      extra: ['gen/sub/extra.ts'],
      upToDate: false,
    });
    assert.equal(read('gen/stale.ts'), 'old');
    writeFiles(root, files, { managedDirs: ['gen'] });
    assert.equal(checkFiles(root, files, { managedDirs: ['gen'] }).upToDate, true);
  });

  it('refuses paths that leave the output folder', () => {
    assert.throws(
      () => writeFiles(root, new Map([['../escape.ts', 'x']])),
      (error) => isFhirgenError(error) && error.code === 'INTERNAL',
    );
  });
});
