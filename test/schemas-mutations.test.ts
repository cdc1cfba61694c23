import assert from 'node:assert/strict';
import { type BaseExamples, baseResources, buildMutants } from './schemas-mutants';
import { findExample, loadExamples, loadValidator, VERSIONS } from './schemas-support';
import { loadModel } from './support/models';

describe('mutation suite: every broken example is rejected with the right issue', function () {
  this.timeout(300_000);

  for (const version of VERSIONS) {
    describe(version, () => {
      let mutants: ReturnType<typeof buildMutants> = [];
      let bases: ReturnType<typeof baseResources> = [];

      before(async () => {
        const [model, examples] = await Promise.all([loadModel(version), loadExamples(version)]);
        const given: BaseExamples = {
          Patient: findExample(examples, 'Patient', 'example'),
          Observation: findExample(examples, 'Observation', 'example'),
        };
        mutants = buildMutants(given, model);
        bases = baseResources(given);
      });

      it('starts from valid resources', async () => {
        const validator = await loadValidator(version);
        for (const json of bases)
          assert.deepEqual(validator.validate(json).issues, [], String(json.resourceType));
      });

      it('breaks a rule that this version really has, in every mutant', () => {
        const unreal = mutants
          .filter((mutant) => mutant.real !== undefined)
          .map((m) => `${m.name}: ${m.real}`);
        assert.deepEqual(unreal, []);
      });

      it('rejects every mutant with the expected issue code and location', async () => {
        const validator = await loadValidator(version);
        assert.ok(mutants.length >= 25);
        const missed: string[] = [];
        for (const mutant of mutants) {
          const result =
            mutant.as === undefined
              ? validator.validate(mutant.json)
              : validator.validateAs(mutant.as, mutant.json);
          const hit = result.issues.some(
            (issue) => issue.code === mutant.expected.code && issue.path === mutant.expected.path,
          );
          if (result.valid || !hit) {
            const got = result.issues.map((issue) => `${issue.code} ${issue.path}`).join(', ');
            missed.push(`${mutant.name}: want ${mutant.expected.code} ${mutant.expected.path}, got [${got}]`);
          }
        }
        assert.deepEqual(missed, []);
      });
    });
  }
});
