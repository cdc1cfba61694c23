import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ISSUE_CODES } from '../src/emit/schemas/runtime/outcome';
import type { FhirVersionId } from '../src/ir/types';
import { findExample, loadExamples, loadValidator, VERSIONS } from './schemas-support';

type Json = Record<string, unknown>;

const GOLDEN_DIR = path.join(__dirname, 'fixtures', 'outcomes');

/** Several problems at once, so that one golden file shows how each kind of issue reads. */
function brokenPatient(patient: Json): Json {
  const broken = structuredClone(patient);
  broken.gender = 'robot';
  broken.birthDate = '1974-13-45';
  broken.active = 'yes';
  broken.nickname = 'Pete';
  broken._birthDate = 'none';
  broken.name = [{ given: [''] }, {}];
  broken.contained = [{ resourceType: 'Organisation', id: 'o1' }];
  return broken;
}

function brokenObservationBundle(observation: Json): Json {
  const broken = structuredClone(observation);
  delete broken.status;
  broken.valueString = 'high';
  return { resourceType: 'Bundle', type: 'collection', entry: [{ resource: broken }, { resource: {} }] };
}

/** The golden file, rewritten when UPDATE_GOLDEN=1 (then reviewed by eye before committing). */
function golden(name: string, actual: unknown): unknown {
  const file = path.join(GOLDEN_DIR, `${name}.json`);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, text);
  return JSON.parse(readFileSync(file, 'utf8'));
}

describe('OperationOutcomes of the validators', function () {
  this.timeout(120_000);

  for (const version of VERSIONS) {
    describe(version, () => {
      const outcomes = async (v: FhirVersionId) => {
        const [validator, examples] = await Promise.all([loadValidator(v), loadExamples(v)]);
        const patient = validator.validate(brokenPatient(findExample(examples, 'Patient', 'example')));
        const bundle = validator.validate(
          brokenObservationBundle(findExample(examples, 'Observation', 'example')),
        );
        return {
          validator,
          patient: validator.outcome(patient),
          bundle: validator.outcome(bundle),
          valid: validator.outcome({ valid: true, issues: [] }),
        };
      };

      it('match the reviewed golden files', async () => {
        const { patient, bundle } = await outcomes(version);
        assert.deepEqual(patient, golden(`${version}-patient`, patient));
        assert.deepEqual(bundle, golden(`${version}-bundle`, bundle));
      });

      it("are valid OperationOutcomes of the version, paths in the version's own field", async () => {
        const { validator, patient, bundle, valid } = await outcomes(version);
        for (const outcome of [patient, bundle, valid]) {
          assert.deepEqual(validator.validate(outcome).issues, []);
        }
        const field = version === 'dstu2' ? 'location' : 'expression';
        assert.ok(patient.issue.every((issue) => Array.isArray(issue[field])));
      });

      it("use only issue types and severities of the version's own value sets", async () => {
        const validator = await loadValidator(version);
        const issue = ISSUE_CODES.map((code) => ({ severity: 'fatal', code, diagnostics: code }));
        const severities = ['fatal', 'error', 'information'].map((severity) => ({ severity, code: 'value' }));
        const outcome = { resourceType: 'OperationOutcome', issue: [...issue, ...severities] };
        assert.deepEqual(validator.validate(outcome).issues, []);
      });

      it('speak FHIR, not ajv', async () => {
        const { patient, bundle } = await outcomes(version);
        for (const issue of [...patient.issue, ...bundle.issue]) {
          assert.doesNotMatch(
            issue.diagnostics,
            /must NOT have|must have required property|must match|must be equal|additionalProperties|#\/definitions/,
          );
        }
      });
    });
  }
});
