import assert from 'node:assert/strict';
import { main } from '../src/cli/main';
import { findType } from '../src/ir';
import { describeType } from '../src/ir/describe';
import { sharedFhirCache } from './support/fhir-cache';
import { loadModel } from './support/models';

/** Runs the CLI in-process and returns its exit code and what it wrote. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { cache, registry } = await sharedFhirCache();
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'fhirgen', '--cache', cache, '--registry', registry, ...args]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    process.exitCode = undefined;
  }
}

describe('IR description for people', function () {
  this.timeout(60000);

  it('shows a resource with its elements, choices, backbones and search parameters', async () => {
    const model = await loadModel('r4');
    const text = describeType(model, findType(model, 'Patient') ?? assert.fail('Patient'));
    assert.match(text, /^Patient: resource, FHIR R4 4\.0\.1 \(hl7\.fhir\.r4\.core@4\.0\.1\)\n/);
    assert.match(text, /\n {2}specialises DomainResource\n/);
    assert.match(
      text,
      /\n {2}gender +0\.\.1 +code +Σ +male \| female \| other \| unknown +required http:\/\/hl7\.org\/fhir\/ValueSet\/administrative-gender \{male, female, other, unknown\}\n/,
    );
    assert.match(text, /\n {2}contact +0\.\.\* +PatientContact\[\] /);
    assert.match(text, /\n {2}deceased\[x\] \(min 0\): deceasedBoolean \| deceasedDateTime\n/);
    assert.match(text, /\nPatientContact \(backbone Patient\.contact\)\n/);
    assert.match(text, /\n {2}_id +token +Resource\.id +\(common\)\n/);
    assert.match(text, /\n {2}link +0\.\.\* +PatientLink\[\] +\?!Σ /);
    assert.match(
      text,
      /\nconstraints:\n(.*\n)* {2}dom-2 +error +Patient +contained\.contained\.empty\(\) +If the resource/,
    );
    assert.match(text, /\nconstraints of FHIR R4: 8934, 8934 checked, 0 not checked\n$/);
  });

  it('shows which DSTU2 constraints are checked (through STU3) and how many are not, by reason', async () => {
    const model = await loadModel('dstu2');
    const text = describeType(model, findType(model, 'Observation') ?? assert.fail('Observation'));
    assert.match(
      text,
      /\n {2}obs-6 +error +Observation +dataAbsentReason\.empty\(\) or value\.empty\(\) \(stu3\) /,
    );
    assert.match(text, /\n {2}obs-7 +error +Observation +not checked: stu3-meaning-differs +Component code/);
    assert.match(
      text,
      /\nconstraints of FHIR DSTU2: 151, 80 checked, 71 not checked \(24 stu3-meaning-differs, 47 no-stu3-counterpart\)\n$/,
    );
  });

  it('shows primitives with their JSON type, regex and range', async () => {
    const model = await loadModel('stu3');
    const text = describeType(model, findType(model, 'positiveInt') ?? assert.fail('positiveInt'));
    assert.match(text, /^positiveInt: primitive type, FHIR STU3 3\.0\.1/);
    assert.match(text, /\n {2}JSON type: integer\n {2}regex: \[1-9\]\[0-9\]\*\n {2}range: 1\.\.2147483647\n/);
  });

  it('shows a backbone on its own, with content references', async () => {
    const model = await loadModel('r4');
    const text = describeType(
      model,
      findType(model, 'QuestionnaireItem') ?? assert.fail('QuestionnaireItem'),
    );
    assert.match(text, /^QuestionnaireItem: backbone element/);
    assert.match(text, /\n {2}defined at Questionnaire\.item in Questionnaire\n/);
    assert.match(
      text,
      /\n {2}item +0\.\.\* +QuestionnaireItem\[\] +Nested questionnaire items +same as Questionnaire\.item\n/,
    );
  });
});

describe('fhirgen definitions show', function () {
  // The first test fills the shared package cache through the loopback registry.
  this.timeout(120000);

  it('prints a resource of a package given by alias', async () => {
    const { code, stdout, stderr } = await run(['definitions', 'show', 'r4', 'Observation']);
    assert.equal(stderr, '');
    assert.equal(code, 0);
    assert.match(stdout, /^Observation: resource, FHIR R4 4\.0\.1 \(hl7\.fhir\.r4\.core@4\.0\.1\)\n/);
    assert.match(stdout, /\n {2}value\[x\] \(min 0\): valueQuantity \| valueCodeableConcept \| valueString/);
  });

  it('prints the IR as JSON with --json, for name@version and old aliases too', async () => {
    const r4 = await run(['definitions', 'show', 'hl7.fhir.r4.core@4.0.1', 'HumanName', '--json']);
    assert.equal(r4.code, 0);
    const humanName = JSON.parse(r4.stdout) as { kind: string; name: string; elements: { name: string }[] };
    assert.equal(humanName.kind, 'complex-type');
    assert.deepEqual(humanName.elements.map((e) => e.name).slice(-6), [
      'text',
      'family',
      'given',
      'prefix',
      'suffix',
      'period',
    ]);
    const dstu2 = await run(['definitions', 'show', 'r2', 'MedicationOrder', '--json']);
    assert.equal(dstu2.code, 0);
    assert.equal((JSON.parse(dstu2.stdout) as { name: string }).name, 'MedicationOrder');
  });

  it('fails with exit code 2 and a hint for a type the version does not have', async () => {
    const { code, stdout, stderr } = await run(['definitions', 'show', 'r4', 'patient']);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(
      stderr,
      /^fhirgen: FHIR R4 has no type patient \(r4\); did you mean Patient.*\(names are case-sensitive\)\n$/,
    );
    const dstu2 = await run(['definitions', 'show', 'dstu2', 'MedicationRequest']);
    assert.equal(dstu2.code, 2);
    assert.match(
      dstu2.stderr,
      /^fhirgen: FHIR DSTU2 has no type MedicationRequest \(dstu2\); give a resource/,
    );
  });
});
