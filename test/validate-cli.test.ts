import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempFolders } from './support/temp';

const BIN = path.join(__dirname, '..', 'bin', 'fhirgen');

function fhirgen(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const patient = { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1974-12-25' };
const badPatient = { ...patient, gender: 'robot', nickname: 'x' };

describe('fhirgen validate (CLI, from the committed generated schemas)', function () {
  this.timeout(120_000);
  const temp = tempFolders('validate');
  let dir = '';

  before(() => {
    dir = temp.make();
    writeFileSync(path.join(dir, 'good.json'), JSON.stringify(patient));
    mkdirSync(path.join(dir, 'mixed'));
    writeFileSync(path.join(dir, 'mixed', 'a-good.json'), JSON.stringify(patient));
    writeFileSync(path.join(dir, 'mixed', 'b-bad.json'), JSON.stringify(badPatient));
    writeFileSync(path.join(dir, 'mixed', 'notes.txt'), 'not a resource, not looked at');
    writeFileSync(
      path.join(dir, 'list.ndjson'),
      `${JSON.stringify(patient)}\n\n${JSON.stringify(badPatient)}\n`,
    );
    writeFileSync(path.join(dir, 'broken.json'), '{"resourceType": "Patient",');
  });
  after(() => temp.cleanup());

  it('exits 0 and says valid when every resource is valid', () => {
    const run = fhirgen('validate', path.join(dir, 'good.json'), '--fhir', 'r4');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /good\.json: valid/);
    assert.match(run.stdout, /1 resources: 1 valid, 0 invalid, 0 unreadable/);
  });

  it('exits 1 for an invalid resource in a folder, and prints a Bundle of OperationOutcomes as JSON', () => {
    const run = fhirgen('validate', path.join(dir, 'mixed'), '--fhir', 'r4', '--format', 'json');
    assert.equal(run.status, 1, run.stderr);
    const bundle = JSON.parse(run.stdout);
    assert.equal(bundle.resourceType, 'Bundle');
    assert.equal(bundle.entry.length, 2);
    assert.match(bundle.entry[0].fullUrl, /^file:\/\/.*a-good\.json#0$/);
    const issues = bundle.entry[1].resource.issue;
    assert.deepEqual(
      issues
        .map((issue: { code: string; expression: string[] }) => `${issue.code} ${issue.expression[0]}`)
        .sort(),
      ['code-invalid Patient.gender', 'structure Patient.nickname'],
    );
  });

  it('exits 2 on a file that is not JSON, still validating the rest, one NDJSON line per resource', () => {
    const run = fhirgen(
      'validate',
      path.join(dir, 'list.ndjson'),
      path.join(dir, 'broken.json'),
      '--fhir',
      'r4',
      '--format',
      'ndjson',
    );
    assert.equal(run.status, 2, run.stderr);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map((line) => [path.basename(line.file), line.index, line.valid]),
      [
        ['list.ndjson', 0, true],
        ['list.ndjson', 1, false],
        ['broken.json', 0, false],
      ],
    );
    assert.equal(lines[2].outcome.issue[0].severity, 'fatal');
    assert.match(lines[2].outcome.issue[0].diagnostics, /^Not JSON/);
  });

  it('uses the version asked for: DSTU2 puts paths in location', () => {
    const run = fhirgen(
      'validate',
      path.join(dir, 'mixed', 'b-bad.json'),
      '--fhir',
      'dstu2',
      '--format',
      'json',
    );
    assert.equal(run.status, 1, run.stderr);
    const outcome = JSON.parse(run.stdout);
    assert.ok(
      outcome.issue.some((issue: { location?: string[] }) => issue.location?.[0] === 'Patient.nickname'),
    );
  });

  it('exits 2 with a message on an unknown version or format', () => {
    const version = fhirgen('validate', path.join(dir, 'good.json'), '--fhir', 'r9');
    assert.equal(version.status, 2);
    assert.match(version.stderr, /unknown FHIR version "r9"/);
    const format = fhirgen('validate', path.join(dir, 'good.json'), '--fhir', 'r4', '--format', 'xml');
    assert.equal(format.status, 2);
    assert.match(format.stderr, /unknown format "xml"/);
  });
});
