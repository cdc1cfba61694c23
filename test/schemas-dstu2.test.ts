/**
 * The committed validators on DSTU2 JSON as DSTU2 wrote it: `fhir_comments` on any object
 * (https://hl7.org/fhir/DSTU2/json.html), which STU3 and R4 reject as unknown, and `instant` values
 * that always carry a time zone (https://hl7.org/fhir/DSTU2/datatypes.html#instant).
 */
import assert from 'node:assert/strict';
import {
  COMMENT_PATHS,
  COMMENTED_DSTU2_PATIENT,
  commentedDstu2CoreResources,
  withComments,
} from './fixtures/comments';
import { findExample, loadExamples, loadValidator } from './schemas-support';

describe('dstu2 validator on DSTU2 JSON', function () {
  this.timeout(120_000);

  it('accepts fhir_comments on the resource, array items, nested and backbone elements and `_x` objects', async () => {
    const validator = await loadValidator('dstu2');
    const example = findExample(await loadExamples('dstu2'), 'Patient', 'example');
    assert.deepEqual(validator.validate(COMMENTED_DSTU2_PATIENT).issues, []);
    assert.deepEqual(validator.validate(withComments(example)).issues, []);
  });

  it('accepts every resource of the DSTU2 core package that carries fhir_comments', async () => {
    const validator = await loadValidator('dstu2');
    const resources = await commentedDstu2CoreResources();
    assert.ok(resources.size >= 100, `${resources.size} resources with fhir_comments`);
    const invalid = [...resources]
      .map(([file, json]) => [file, validator.validate(json).issues] as const)
      .filter(([, issues]) => issues.length > 0)
      .map(([file, issues]) => `${file}: ${issues[0]?.path} ${issues[0]?.diagnostics}`);
    assert.deepEqual(invalid, []);
  });

  it('requires a time zone on an instant, to the second', async () => {
    const validator = await loadValidator('dstu2');
    const observation = findExample(await loadExamples('dstu2'), 'Observation', 'example');
    const issues = (issued: string) =>
      validator.validate({ ...observation, issued }).issues.map((issue) => `${issue.code} ${issue.path}`);
    for (const valid of [
      '2015-02-07T13:28:17Z',
      '2015-02-07T13:28:17+01:00',
      '2015-02-07T13:28:17.239-05:00',
    ]) {
      assert.deepEqual(issues(valid), [], valid);
    }
    for (const invalid of [
      '2015-02-07T13:28:17',
      '2015-02-07T13:28Z',
      '2015-02-07',
      '2015-02-07T25:28:17Z',
    ]) {
      assert.deepEqual(issues(invalid), ['value Observation.issued'], invalid);
    }
  });
});

for (const version of ['stu3', 'r4'] as const) {
  describe(`${version} validator, whose JSON has no fhir_comments`, function () {
    this.timeout(120_000);

    it('rejects each of them as an unknown property', async () => {
      const validator = await loadValidator(version);
      const example = findExample(await loadExamples(version), 'Patient', 'example');
      const issues = validator.validate(withComments(example)).issues;
      assert.deepEqual(
        issues.map((issue) => `${issue.code} ${issue.path}`).sort(),
        COMMENT_PATHS.map((at) => `structure ${at}`).sort(),
      );
      assert.ok(issues.every((issue) => issue.diagnostics.startsWith("Unknown property 'fhir_comments'")));
    });
  });
}
