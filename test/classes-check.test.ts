/**
 * `fhirgen generate models --check` through the loopback registry: passes on the committed `generated/`
 * (this is how CI proves the output is current), and fails naming a file that was edited.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sharedFhirCache } from './support/fhir-cache';

const ROOT = path.resolve(__dirname, '..');

function fhirgen(args: string[], cache: { registry: string; cache: string }) {
  const result = spawnSync(
    process.execPath,
    [path.join(ROOT, 'bin', 'fhirgen'), '--registry', cache.registry, '--cache', cache.cache, ...args],
    { cwd: ROOT, encoding: 'utf8' },
  );
  return { status: result.status, stderr: result.stderr };
}

describe('generate models --check', () => {
  let cache: { registry: string; cache: string };
  before(async function () {
    this.timeout(180_000);
    cache = await sharedFhirCache();
  });

  it('passes on the committed generated/ folder for all three versions', function () {
    this.timeout(180_000);
    const run = fhirgen(['generate', 'models', '--check'], cache);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /r4 classes .* files/);
    assert.match(run.stderr, /generated is up to date/);
  });

  it('exits 1 naming an edited file and a stray one', function () {
    this.timeout(180_000);
    const out = mkdtempSync(path.join(tmpdir(), 'fhirgen-check-'));
    try {
      cpSync(path.join(ROOT, 'generated', 'dstu2'), path.join(out, 'dstu2'), { recursive: true });
      writeFileSync(path.join(out, 'dstu2', 'classes', 'Patient.ts'), '// edited\n');
      writeFileSync(path.join(out, 'dstu2', 'classes', 'Stray.ts'), '// not generated\n');
      const run = fhirgen(['generate', 'models', '--fhir', 'dstu2', '--out', out, '--check'], cache);
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, /stale +\S*dstu2\/classes\/Patient\.ts/);
      assert.match(run.stderr, /extra +\S*dstu2\/classes\/Stray\.ts/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
