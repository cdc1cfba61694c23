/**
 * `fhir_comments` through the committed generated classes: DSTU2 keeps them on every object and writes
 * them back unchanged (https://hl7.org/fhir/DSTU2/json.html); STU3 and R4, which have no such
 * property, drop them as unknown and say where.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  COMMENT_CAST_PATHS,
  COMMENTED_DSTU2_PATIENT,
  commentedDstu2CoreResources,
  withComments,
} from './fixtures/comments';
import { findExample, loadExamples } from './schemas-support';

interface Report {
  dropped: { path: string; reason: string }[];
}
type Json = Record<string, unknown>;
interface Cast {
  toJSON(): Json;
  [key: string]: unknown;
}
interface GeneratedVersion {
  fromJSON(json: unknown, report?: Report): Cast;
}

const load = (version: string): GeneratedVersion =>
  require(path.resolve(__dirname, '..', 'generated', version, 'index.ts'));

describe('generated dstu2 classes keep fhir_comments', () => {
  const dstu2 = load('dstu2');

  it('round-trip a Patient with comments on the resource, array items, nested and backbone elements and `_x` objects, unchanged and in the same order', () => {
    const report: Report = { dropped: [] };
    const output = dstu2.fromJSON(COMMENTED_DSTU2_PATIENT, report).toJSON();
    assert.deepEqual(report.dropped, []);
    assert.equal(JSON.stringify(output, null, 1), JSON.stringify(COMMENTED_DSTU2_PATIENT, null, 1));
  });

  it('hold them on the instances as arrays of strings', () => {
    const patient = dstu2.fromJSON(COMMENTED_DSTU2_PATIENT);
    const name = (patient.name as Cast[])[0] as Cast;
    assert.deepEqual(patient.fhir_comments, COMMENTED_DSTU2_PATIENT.fhir_comments);
    assert.deepEqual(name.fhir_comments, [' a name ']);
    assert.deepEqual(((name._given as Cast[])[1] as Cast).fhir_comments, [' on given[1] only ']);
    assert.deepEqual((patient._birthDate as Cast).fhir_comments, [' inside a primitive extension object ']);
  });

  it('round-trip the Patient example with comments added at every kind of place', async () => {
    const json = withComments(findExample(await loadExamples('dstu2'), 'Patient', 'example'));
    const report: Report = { dropped: [] };
    assert.deepEqual(dstu2.fromJSON(json, report).toJSON(), json);
    assert.deepEqual(report.dropped, []);
  });

  it('drop and report comments that are not arrays of strings', () => {
    const report: Report = { dropped: [] };
    const json = {
      resourceType: 'Patient',
      fhir_comments: [' kept ', 12],
      name: [{ fhir_comments: ' not an array ', family: ['Chalmers'] }],
    };
    assert.deepEqual(dstu2.fromJSON(json, report).toJSON(), {
      resourceType: 'Patient',
      fhir_comments: [' kept '],
      name: [{ family: ['Chalmers'] }],
    });
    assert.deepEqual(report.dropped, [
      { path: 'Patient.fhir_comments[1]', reason: 'wrong-json-type' },
      { path: 'Patient.name[0].fhir_comments', reason: 'wrong-json-type' },
    ]);
  });

  it('round-trip every resource of the DSTU2 core package that carries fhir_comments', async function () {
    this.timeout(60_000);
    const resources = await commentedDstu2CoreResources();
    assert.ok(resources.size >= 100, `${resources.size} resources with fhir_comments`);
    const failures = [...resources]
      .filter(([, json]) => !isDeepStrictEqual(dstu2.fromJSON(json).toJSON(), json))
      .map(([file]) => file);
    assert.deepEqual(failures, []);
  });
});

for (const version of ['stu3', 'r4'] as const) {
  describe(`generated ${version} classes, whose JSON has no fhir_comments`, () => {
    it('drop them as unknown properties, naming each place', async () => {
      const example = findExample(await loadExamples(version), 'Patient', 'example');
      const report: Report = { dropped: [] };
      const output = load(version).fromJSON(withComments(example), report).toJSON();
      assert.deepEqual(output, example);
      assert.deepEqual(
        report.dropped.map((dropped) => `${dropped.path} ${dropped.reason}`).sort(),
        COMMENT_CAST_PATHS.map((at) => `${at} unknown-property`).sort(),
      );
    });
  });
}
