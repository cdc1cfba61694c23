/**
 * `fhirgen validate` checks the constraints (invariants) by default, in every output format, and
 * `--no-invariants` checks structure only.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempFolders } from './support/temp';

const BIN = path.join(__dirname, '..', 'bin', 'fhirgen');

function fhirgen(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const div = '<div xmlns="http://www.w3.org/1999/xhtml"><p>An observation</p></div>';
/** Structurally valid, and breaks obs-6: a value and a dataAbsentReason (https://hl7.org/fhir/R4/observation.html#invs). */
const obs6 = {
  resourceType: 'Observation',
  text: { status: 'generated', div },
  status: 'final',
  code: { text: 'weight' },
  valueQuantity: { value: 70, unit: 'kg' },
  dataAbsentReason: { text: 'unknown' },
};
/** Breaks per-1 inside a component: start after end. */
const per1 = {
  resourceType: 'Observation',
  text: { status: 'generated', div },
  status: 'final',
  code: { text: 'bp' },
  component: [
    { code: { text: 'a' }, valueString: 'x' },
    { code: { text: 'b' }, valuePeriod: { start: '2020-02-01', end: '2020-01-01' } },
  ],
};
/** Valid but for dom-6, a warning: no narrative. */
const noText = { resourceType: 'Observation', status: 'final', code: { text: 'weight' }, valueString: 'x' };

describe('fhirgen validate checks invariants', function () {
  this.timeout(120_000);
  const temp = tempFolders('validate-invariants');
  let dir = '';
  const file = (name: string) => path.join(dir, name);

  before(() => {
    dir = temp.make();
    writeFileSync(file('obs6.json'), JSON.stringify(obs6));
    writeFileSync(file('per1.json'), JSON.stringify(per1));
    writeFileSync(file('no-text.json'), JSON.stringify(noText));
    writeFileSync(file('list.ndjson'), `${JSON.stringify(noText)}\n${JSON.stringify(obs6)}\n`);
  });
  after(() => temp.cleanup());

  it('text: rejects an Observation breaking obs-6, naming the key, text and element; exit 1', () => {
    const run = fhirgen('validate', file('obs6.json'), '--fhir', 'r4');
    assert.equal(run.status, 1, run.stderr);
    assert.match(
      run.stdout,
      /obs6\.json: 1 issue\n {2}error \[invariant\] Observation: obs-6: dataAbsentReason SHALL only be present if Observation\.value\[x\] is not present\n/,
    );
  });

  it('json: one OperationOutcome with the issue at the nested element (per-1 in component[1])', () => {
    const run = fhirgen('validate', file('per1.json'), '--fhir', 'r4', '--format', 'json');
    assert.equal(run.status, 1, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).issue, [
      {
        severity: 'error',
        code: 'invariant',
        diagnostics: 'per-1: If present, start SHALL have a lower value than end',
        expression: ['Observation.component[1].valuePeriod'],
      },
    ]);
  });

  it('a warning (dom-6) is reported and does not reject; ndjson carries both', () => {
    const text = fhirgen('validate', file('no-text.json'), '--fhir', 'r4');
    assert.equal(text.status, 0, text.stderr);
    assert.match(
      text.stdout,
      /no-text\.json: valid \(1 warning\)\n {2}warning \[invariant\] Observation: dom-6: /,
    );
    const ndjson = fhirgen('validate', file('list.ndjson'), '--fhir', 'r4', '--format', 'ndjson');
    assert.equal(ndjson.status, 1, ndjson.stderr);
    const lines = ndjson.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map((line) => [
        line.valid,
        line.outcome.issue.map((i: { diagnostics: string }) => i.diagnostics.split(':')[0]),
      ]),
      [
        [true, ['dom-6']],
        [false, ['obs-6']],
      ],
    );
  });

  it('--no-invariants checks structure only, in every format', () => {
    for (const format of ['text', 'json', 'ndjson']) {
      const run = fhirgen(
        'validate',
        file('obs6.json'),
        file('per1.json'),
        '--fhir',
        'r4',
        '--format',
        format,
        '--no-invariants',
      );
      assert.equal(run.status, 0, `${format}: ${run.stdout}${run.stderr}`);
      assert.doesNotMatch(run.stdout, /\[invariant\]|"invariant"/);
    }
  });

  it('DSTU2 through STU3 expressions: obs-6 in location, as DSTU2 OperationOutcomes put paths', () => {
    const dstu2 = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'w' },
      valueString: 'x',
      dataAbsentReason: { text: 'u' },
    };
    writeFileSync(file('dstu2.json'), JSON.stringify(dstu2));
    const run = fhirgen('validate', file('dstu2.json'), '--fhir', 'dstu2', '--format', 'json');
    assert.equal(run.status, 1, run.stderr);
    const [issue] = JSON.parse(run.stdout).issue;
    assert.equal(issue.code, 'invariant');
    assert.match(issue.diagnostics, /^obs-6: /);
    assert.deepEqual(issue.location, ['Observation']);
  });
});
