/**
 * The committed validators on DSTU2 JSON as DSTU2 wrote it: `instant` values always carry a time zone
 * (https://hl7.org/fhir/DSTU2/datatypes.html#instant).
 */
import assert from 'node:assert/strict';
import { findExample, loadExamples, loadValidator } from './schemas-support';

describe('dstu2 validator on DSTU2 JSON', function () {
  this.timeout(120_000);

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
