/**
 * Pass "constraints" on tiny inline definitions: every constraint of every snapshot element, with the
 * expression that runs, DSTU2's reuse of STU3 expressions and the known-wrong table applied as data.
 */
import assert from 'node:assert/strict';
import { collectConstraints, constraintCounts } from '../src/ir/constraints';
import type { RawStructureDefinition } from '../src/ir/raw';
import { tinyDefinition } from './support/models';

const constraint = (key: string, extra: object = {}) => ({
  key,
  severity: 'error',
  human: `${key} text`,
  xpath: `f:${key}`,
  ...extra,
});

describe('IR pass: constraints', () => {
  it('keeps key, severity, human text, expression, xpath, element path and owner of every element', () => {
    const definition = tinyDefinition('Thing', [
      {
        path: 'Thing.part',
        constraint: [constraint('thg-2', { severity: 'warning', expression: 'a.exists()' })],
      },
    ]) as RawStructureDefinition;
    (definition.snapshot?.element[0] as { constraint?: object[] }).constraint = [
      constraint('thg-1', { expression: 'b.empty()', human: ' trimmed ' }),
    ];
    const found = collectConstraints([definition], 'r4');
    assert.deepEqual(found, [
      {
        key: 'thg-1',
        severity: 'error',
        human: 'trimmed',
        xpath: 'f:thg-1',
        publishedExpression: 'b.empty()',
        expression: 'b.empty()',
        expressionSource: 'definition',
        path: 'Thing',
        owner: 'Thing',
      },
      {
        key: 'thg-2',
        severity: 'warning',
        human: 'thg-2 text',
        xpath: 'f:thg-2',
        publishedExpression: 'a.exists()',
        expression: 'a.exists()',
        expressionSource: 'definition',
        path: 'Thing.part',
        owner: 'Thing',
      },
    ]);
  });

  it('roots the paths of a constraint type at its own name (DSTU2 Age is written on Quantity)', () => {
    const age = tinyDefinition('Age', [{ path: 'Quantity.code', constraint: [constraint('x-1')] }], {
      kind: 'complex-type',
      type: 'Quantity',
      derivation: 'constraint',
    }) as RawStructureDefinition;
    (age.snapshot?.element[0] as { constraint?: object[] }).constraint = [constraint('age-1')];
    (age as { name: string }).name = 'Age';
    const paths = collectConstraints([age], 'dstu2').map((each) => `${each.key}@${each.path}`);
    assert.deepEqual(paths, ['age-1@Age', 'x-1@Age.code']);
  });

  it('gives DSTU2 the STU3 expression of the same key and path, and says why the others are not checked', () => {
    const period = tinyDefinition('Period', [], { kind: 'complex-type' }) as RawStructureDefinition;
    (period.snapshot?.element[0] as { constraint?: object[] }).constraint = [
      constraint('per-1'),
      constraint('zzz-1'),
    ];
    const timing = tinyDefinition('Timing', [{ path: 'Timing.repeat', constraint: [constraint('tim-1')] }], {
      kind: 'complex-type',
    }) as RawStructureDefinition;
    const found = collectConstraints([period, timing], 'dstu2');
    const byKey = new Map(found.map((each) => [each.key, each]));
    assert.equal(byKey.get('per-1')?.expression, 'start.empty() or end.empty() or (start <= end)');
    assert.equal(byKey.get('per-1')?.expressionSource, 'stu3');
    assert.equal(byKey.get('per-1')?.publishedExpression, undefined);
    assert.equal(byKey.get('tim-1')?.unchecked, 'stu3-meaning-differs');
    assert.equal(byKey.get('zzz-1')?.unchecked, 'no-stu3-counterpart');
    assert.equal(byKey.get('zzz-1')?.expression, undefined);
    assert.deepEqual(constraintCounts({ constraints: found }), {
      total: 3,
      checked: 1,
      unchecked: { 'stu3-meaning-differs': 1, 'no-stu3-counterpart': 1 },
    });
  });

  it("fixes a published expression known to be wrong (STU3's ele-1 union), keeping the published one", () => {
    const element = tinyDefinition('Element', [], { kind: 'complex-type' }) as RawStructureDefinition;
    const published = 'hasValue() | (children().count() > id.count())';
    (element.snapshot?.element[0] as { constraint?: object[] }).constraint = [
      constraint('ele-1', { expression: published }),
    ];
    const [stu3] = collectConstraints([element], 'stu3');
    assert.equal(stu3?.expression, 'hasValue() or (children().count() > id.count())');
    assert.equal(stu3?.expressionSource, 'fixed');
    assert.equal(stu3?.publishedExpression, published);
    const [r4] = collectConstraints([element], 'r4');
    assert.equal(r4?.expression, published);
  });
});
