/**
 * Each entry of the known-wrong table (src/ir/known-wrong-constraints.ts): the published expression
 * rejects (or cannot evaluate) a valid resource, and the fix accepts it while still rejecting what the
 * constraint is about.
 */
import assert from 'node:assert/strict';
import * as fhirpath from 'fhirpath';
import { fhirpathModel } from '../src/invariants/index';
import { KNOWN_WRONG_CONSTRAINTS } from '../src/ir/known-wrong-constraints';
import type { FhirVersionId } from '../src/ir/types';
import { loadModel } from './support/models';

async function published(
  version: FhirVersionId,
  key: string,
  owner: string,
): Promise<{ expression: string; fix: string }> {
  const model = await loadModel(version);
  const found = model.constraints.find((c) => c.key === key && c.owner === owner);
  assert.ok(found?.publishedExpression !== undefined && found.expression !== undefined, `${version} ${key}`);
  return { expression: found.publishedExpression, fix: found.expression };
}

const run = (
  version: FhirVersionId,
  expression: string | { base: string; expression: string },
  node: unknown,
  env: object = {},
) =>
  fhirpath.compile(expression, fhirpathModel(version), { traceFn: () => undefined } as never)(
    node,
    env as never,
  ) as unknown[];

describe('known-wrong core constraints', function () {
  this.timeout(60_000);

  it('lists each with a reason, and a fix or nothing (skipped)', () => {
    const keys = Object.entries(KNOWN_WRONG_CONSTRAINTS).flatMap(([version, table]) =>
      Object.entries(table).map(
        ([key, entry]) => `${version} ${key} ${entry.fix === undefined ? 'skipped' : 'fixed'}`,
      ),
    );
    assert.deepEqual(keys, [
      'dstu2 ref-1 fixed',
      'dstu2 ele-1 fixed',
      'stu3 ref-1 fixed',
      'stu3 ele-1 fixed',
      'r4 que-7 fixed',
      'r4 dom-3 fixed',
    ]);
    for (const table of Object.values(KNOWN_WRONG_CONSTRAINTS)) {
      for (const entry of Object.values(table)) assert.ok(entry.reason.length > 40);
    }
  });

  it('r4 dom-3: the published expression throws on any resource with contained resources; the fix decides', async () => {
    const { expression, fix } = await published('r4', 'dom-3', 'Observation');
    const referenced = {
      resourceType: 'Observation',
      contained: [{ resourceType: 'Patient', id: 'p' }],
      subject: { reference: '#p' },
    };
    const env = (resource: object) => ({ resource, rootResource: resource });
    assert.throws(
      () => run('r4', expression, referenced, env(referenced)),
      /Expected singleton on left side of 'as'/,
    );
    assert.deepEqual(run('r4', fix, referenced, env(referenced)), [true]);
    const unreferenced = { ...referenced, subject: { reference: 'Patient/1' } };
    assert.deepEqual(run('r4', fix, unreferenced, env(unreferenced)), [false]);
  });

  it("r4 que-7: 'exists' with answerBoolean fails as published (System.Boolean), passes fixed; a coded answer still fails", async () => {
    const { expression, fix } = await published('r4', 'que-7', 'Questionnaire');
    const base = 'Questionnaire.item.enableWhen';
    const valid = { question: 'q', operator: 'exists', answerBoolean: true };
    assert.deepEqual(run('r4', { base, expression }, valid), [false]);
    assert.deepEqual(run('r4', { base, expression: fix }, valid), [true]);
    assert.deepEqual(
      run('r4', { base, expression: fix }, { question: 'q', operator: 'exists', answerString: 'x' }),
      [false],
    );
  });

  for (const version of ['stu3', 'dstu2'] as const) {
    it(`${version} ref-1: a contained resource may refer to another one of its container (fixed as R4 did)`, async () => {
      const model = await loadModel(version);
      const found = model.constraints.find((c) => c.key === 'ref-1' && c.owner === 'Reference');
      assert.ok(found?.expression);
      const stu3 = await loadModel('stu3');
      const publishedStu3 =
        stu3.constraints.find((c) => c.key === 'ref-1' && c.owner === 'Reference')?.publishedExpression ?? '';
      const container = {
        resourceType: 'Observation',
        contained: [
          { resourceType: 'Patient', id: 'p' },
          { resourceType: 'Practitioner', id: 'q' },
        ],
      };
      const env = { resource: container.contained[0], rootResource: container };
      const sibling = { reference: '#q' };
      assert.deepEqual(run(version, { base: 'Reference', expression: publishedStu3 }, sibling, env), [false]);
      assert.deepEqual(run(version, { base: 'Reference', expression: found.expression }, sibling, env), [
        true,
      ]);
      assert.deepEqual(
        run(version, { base: 'Reference', expression: found.expression }, { reference: '#zz' }, env),
        [false],
      );
    });
  }

  it('stu3 ele-1: the published union of two booleans is not a boolean; the fix is the `or` of R4', async () => {
    const { expression, fix } = await published('stu3', 'ele-1', 'Element');
    assert.deepEqual(run('stu3', { base: 'CodeableConcept', expression }, { text: 'x' }).length, 2);
    assert.deepEqual(run('stu3', { base: 'CodeableConcept', expression: fix }, { text: 'x' }), [true]);
    assert.deepEqual(run('stu3', { base: 'CodeableConcept', expression: fix }, { id: 'x' }), [false]);
  });
});
