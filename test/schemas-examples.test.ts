import assert from 'node:assert/strict';
import type { FhirVersionId } from '../src/ir/types';
import { loadExamples, loadValidator, VERSIONS } from './schemas-support';

/**
 * Official examples that break their own specification, reviewed one by one: the file, the issue the
 * validator must report for it (code and path), and the rule it breaks. Nothing else may fail.
 */
const KNOWN_INVALID: Readonly<
  Record<FhirVersionId, Record<string, { code: string; path: string; rule: string }>>
> = {
  dstu2: {},
  stu3: {
    'Questionnaire-qs1.json': {
      code: 'required',
      path: 'Questionnaire.item[0].item[0].linkId',
      rule: 'Questionnaire.item.linkId is 1..1 (https://hl7.org/fhir/STU3/questionnaire-definitions.html#Questionnaire.item.linkId); nested items omit it',
    },
  },
  r4: {
    'Questionnaire-qs1.json': {
      code: 'required',
      path: 'Questionnaire.item[0].item[0].linkId',
      rule: 'Questionnaire.item.linkId is 1..1 (https://hl7.org/fhir/R4/questionnaire-definitions.html#Questionnaire.item.linkId); nested items omit it',
    },
  },
};

const EXPECTED_COUNTS: Readonly<Record<FhirVersionId, number>> = { dstu2: 363, stu3: 623, r4: 714 };

describe('official examples against the generated schemas', function () {
  this.timeout(300_000);

  for (const version of VERSIONS) {
    it(`${version}: every example validates, except the reviewed list`, async () => {
      const [validator, examples] = await Promise.all([loadValidator(version), loadExamples(version)]);
      assert.equal(examples.length, EXPECTED_COUNTS[version]);
      const known = KNOWN_INVALID[version];
      const unexpected: string[] = [];
      for (const { file, json } of examples) {
        const result = validator.validate(json);
        const expected = known[file];
        if (expected === undefined) {
          if (!result.valid) {
            const first = result.issues.slice(0, 3).map((issue) => `${issue.path}: ${issue.diagnostics}`);
            unexpected.push(`${file}: ${first.join('; ')}`);
          }
          continue;
        }
        const match = result.issues.some(
          (issue) => issue.code === expected.code && issue.path === expected.path,
        );
        if (!match) unexpected.push(`${file} should be rejected at ${expected.path} (${expected.rule})`);
      }
      assert.deepEqual(unexpected, []);
    });
  }
});
