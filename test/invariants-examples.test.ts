import assert from 'node:assert/strict';
import type { FhirVersionId } from '../src/ir/types';
import { loadEvaluator, rejecting } from './invariants-support';
import { loadExamples, loadValidator, VERSIONS } from './schemas-support';

const BLANK_NARRATIVE =
  'its narrative holds only whitespace; txt-2 asks for some non-whitespace content (https://hl7.org/fhir/R4/narrative.html#Narrative), and txt-1 (htmlChecks) checks the same';

/** The two narrative constraints a blank narrative breaks (txt-1, txt-2), on `type`'s text. */
const blankNarrative = (type: string, detail = '') => ({
  violations: [`txt-1@${type}.text.div`, `txt-2@${type}.text.div`],
  why: `${BLANK_NARRATIVE}${detail}`,
});

/**
 * Official examples that break a constraint of their own specification, reviewed one by one: the
 * violations (`key@location`) they must give, and why the example is wrong. Nothing else may fail.
 */
const KNOWN_INVALID: Readonly<Record<FhirVersionId, Record<string, { violations: string[]; why: string }>>> =
  {
    r4: {
      'ActivityDefinition-blood-tubes-supply.json': blankNarrative('ActivityDefinition'),
      'ActivityDefinition-heart-valve-replacement.json': blankNarrative('ActivityDefinition'),
      'EventDefinition-example.json': blankNarrative('EventDefinition'),
      'Questionnaire-zika-virus-exposure-assessment.json': blankNarrative(
        'Questionnaire',
        ' (an empty <pre>)',
      ),
    },
    stu3: {
      'ActivityDefinition-blood-tubes-supply.json': blankNarrative('ActivityDefinition'),
      'ActivityDefinition-heart-valve-replacement.json': blankNarrative('ActivityDefinition'),
      'Questionnaire-zika-virus-exposure-assessment.json': blankNarrative(
        'Questionnaire',
        ' (an empty <pre>)',
      ),
      'Patient-null.json': {
        violations: ['dom-1@Patient'],
        why: 'its contained Organization has a narrative; dom-1: a contained resource SHALL NOT contain narrative (https://hl7.org/fhir/STU3/domainresource.html#invs)',
      },
    },
    dstu2: {
      'Bundle-2763c3ea-6bce-4f15-bdc9-4b41aaceee03.json': {
        violations: ['dom-3@Bundle.entry[0].resource'],
        why: 'the entry resource contains `req` and never refers to it; dom-3 (https://hl7.org/fhir/DSTU2/domainresource.html#invs)',
      },
      'Bundle-72ac8493-52ac-41bd-8d5d-7258c289b5ea.json': {
        violations: ['txt-2@Bundle.entry[0].resource.text.div'],
        why: 'the narrative <div> has no XHTML namespace; narrative is XHTML in its namespace (https://hl7.org/fhir/DSTU2/narrative.html#Narrative)',
      },
      'Encounter-f202.json': {
        violations: ['drt-1@Encounter.length'],
        why: 'a Duration coded in SNOMED CT; drt-1: when a system is present it SHALL be UCUM (https://hl7.org/fhir/DSTU2/datatypes.html#Duration)',
      },
      'MedicationOrder-f001.json': {
        violations: ['drt-1@MedicationOrder.dispenseRequest.expectedSupplyDuration'],
        why: "a Duration whose system is UCUM's OID, not http://unitsofmeasure.org as drt-1 requires (https://hl7.org/fhir/DSTU2/datatypes.html#Duration)",
      },
      'List-prognosis.json': {
        violations: ['dom-3@List', 'ref-1@List.contained[13].extension[0].extension[1].valueReference'],
        why: 'contains `image` without referring to it (dom-3), and refers to `#1`, which it does not contain (ref-1)',
      },
      'QuestionnaireResponse-3141.json': {
        violations: ['dom-3@QuestionnaireResponse'],
        why: 'contains `obs.pt-category` and never refers to it; dom-3 (https://hl7.org/fhir/DSTU2/domainresource.html#invs)',
      },
    },
  };

describe('official examples against the invariants', function () {
  this.timeout(300_000);

  for (const version of VERSIONS) {
    it(`${version}: every structurally valid example meets its constraints, except the reviewed list`, async () => {
      const [validator, evaluator, examples] = await Promise.all([
        loadValidator(version),
        loadEvaluator(version),
        loadExamples(version),
      ]);
      const found: Record<string, string[]> = {};
      let checked = 0;
      for (const { file, json } of examples) {
        if (!validator.validate(json).valid) continue;
        checked += 1;
        const violations = rejecting(evaluator.check(json));
        if (violations.length > 0) found[file] = violations;
      }
      const expected = Object.fromEntries(
        Object.entries(KNOWN_INVALID[version]).map(([file, known]) => [file, known.violations]),
      );
      assert.deepEqual(found, expected);
      assert.ok(checked >= examples.length - 2, `${checked} of ${examples.length} examples checked`);
    });
  }
});
