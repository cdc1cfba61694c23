/** `fhirgen cast`: files, folders and NDJSON through the committed generated classes. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

function cast(args: string[]) {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'fhirgen'), 'cast', ...args], {
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('fhirgen cast', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-cast-'));
    mkdirSync(path.join(dir, 'folder'));
    const patient = { resourceType: 'Patient', id: 'a', active: true, nickname: 'x' };
    writeFileSync(path.join(dir, 'patient.json'), JSON.stringify(patient));
    writeFileSync(path.join(dir, 'folder', 'one.json'), JSON.stringify({ resourceType: 'Patient', id: 'b' }));
    writeFileSync(
      path.join(dir, 'folder', 'many.ndjson'),
      `${JSON.stringify({ resourceType: 'Observation', status: 'final', code: { text: 'c' }, note: [{ text: 'n' }] })}\n\n${JSON.stringify({ resourceType: 'Basic', code: { text: 'b' } })}\n`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one cast resource as JSON and names dropped properties on stderr', () => {
    const run = cast([path.join(dir, 'patient.json'), '--fhir', 'r4']);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { resourceType: 'Patient', id: 'a', active: true });
    assert.match(run.stderr, /patient\.json: dropped Patient\.nickname \(unknown-property\)/);
  });

  it('prints NDJSON for a folder with NDJSON inside, cast to the version asked for', () => {
    const run = cast([path.join(dir, 'folder'), '--fhir', 'stu3']);
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map((json) => json.resourceType),
      ['Observation', 'Basic', 'Patient'],
    );
    assert.match(run.stderr, /many\.ndjson:1: dropped Observation\.note \(unknown-property\)/);
  });

  it('exits 2 for an unknown version and 1 when a resource type does not exist in the version', () => {
    assert.equal(cast([path.join(dir, 'patient.json'), '--fhir', 'nope']).status, 2);
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ resourceType: 'MedicationRequest' }));
    const bad = cast([path.join(dir, 'bad.json'), '--fhir', 'dstu2']);
    assert.equal(bad.status, 1);
    assert.match(
      bad.stderr,
      /"MedicationRequest" is not a resource type of this version \(FHIR DSTU2 1\.0\.2/,
    );
  });

  it('reports a file that is not JSON, still casts the others, and exits 2', () => {
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{"resourceType": "Patient",');
    const run = cast([broken, path.join(dir, 'patient.json'), '--fhir', 'r4']);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /broken\.json: Not JSON/);
    assert.equal(JSON.parse(run.stdout.trim()).id, 'a');
  });
});
