import assert from 'node:assert/strict';
import type { FhirVersionId } from '../src/ir/types';
import { buildInvariantMutants, type Json, type Pick } from './invariants-mutants';
import { loadEvaluator, rejecting } from './invariants-support';
import { loadExamples, loadValidator, VERSIONS } from './schemas-support';

/** The invariants every version's suite must break, where the version has them. */
const COMMON = [
  'obs-6',
  'obs-7',
  'pat-1',
  'ref-1',
  'dom-2',
  'dom-3',
  'dom-4',
  'dom-5',
  'dom-6',
  'ele-1',
  'ext-1',
  'per-1',
  'qty-3',
  'sqty-1',
  'bdl-1',
];
const WITHOUT: Record<FhirVersionId, string[]> = {
  r4: ['dom-6'], // a warning: it never rejects
  stu3: ['dom-5', 'dom-6'],
  dstu2: ['obs-7', 'ext-1', 'dom-5', 'dom-6'], // obs-7: STU3's meaning differs; DSTU2 has no ext-1, dom-5 or dom-6
};

describe('invariant mutation suite over the official examples', function () {
  this.timeout(300_000);

  for (const version of VERSIONS) {
    it(`${version}: each mutant breaks exactly its invariant, at its place; at least 40 distinct invariants`, async () => {
      const [validator, evaluator, examples] = await Promise.all([
        loadValidator(version),
        loadEvaluator(version),
        loadExamples(version),
      ]);
      const clean = examples.filter(
        ({ json }) => validator.validate(json).valid && rejecting(evaluator.check(json)).length === 0,
      );
      const pick: Pick = (type, has = () => true) => {
        const found = clean.find(({ json }) => json.resourceType === type && has(json as Json));
        if (found === undefined) throw new Error(`no clean ${version} ${type} example for this mutant`);
        return found.json as Json;
      };
      const mutants = buildInvariantMutants(version, pick);
      const problems: string[] = [];
      for (const mutant of mutants) {
        const baseStructure = validator.validate(mutant.base);
        const baseBroken = rejecting(evaluator.check(mutant.base));
        if (!baseStructure.valid || baseBroken.length > 0) {
          problems.push(`${mutant.name}: base invalid ${JSON.stringify(baseStructure.issues)} ${baseBroken}`);
          continue;
        }
        const structure = validator.validate(mutant.json);
        if (mutant.structural === true && structure.valid)
          problems.push(`${mutant.name}: the structure lets it through`);
        if (!structure.valid && mutant.structural !== true) {
          problems.push(`${mutant.name}: mutant structurally invalid ${JSON.stringify(structure.issues)}`);
          continue;
        }
        const broken = rejecting(evaluator.check(mutant.json));
        const expected = [`${mutant.key}@${mutant.location}`];
        if (JSON.stringify(broken) !== JSON.stringify(expected))
          problems.push(`${mutant.name}: got ${JSON.stringify(broken)}`);
      }
      assert.deepEqual(problems, []);
      const keys = new Set(mutants.map((mutant) => mutant.key));
      assert.ok(keys.size >= 40, `${keys.size} distinct invariants`);
      for (const key of COMMON.filter((each) => !WITHOUT[version].includes(each)))
        assert.ok(keys.has(key), key);
      for (const where of ['in contained', 'in a Bundle entry'])
        assert.ok(
          mutants.some((m) => m.name.endsWith(where)),
          where,
        );
      process.stdout.write(`      ${version}: ${mutants.length} mutants, ${keys.size} distinct invariants\n`);
    });
  }
});
