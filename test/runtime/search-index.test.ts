import assert from 'node:assert/strict';
import type { SearchParamType } from '../../src/runtime/contracts';
import { MAX_TIME, MIN_TIME } from '../../src/runtime/search/index/entries';
import { createEvaluator, forIndexing } from '../../src/runtime/search/index/evaluate';
import { extractRows } from '../../src/runtime/search/index/extract';
import { normalise } from '../../src/runtime/search/index/normalise';
import { TABLES } from './fixtures/search/tables';

describe('search index: normalising values by type', () => {
  const cases: { name: string; type: SearchParamType; value: unknown; fhirType?: string; want: unknown[] }[] =
    [
      {
        name: 'string',
        type: 'string',
        value: 'Élodie',
        want: [{ kind: 'string', folded: 'elodie', exact: 'Élodie' }],
      },
      {
        name: 'HumanName parts',
        type: 'string',
        value: { family: 'Chalmers', given: ['Peter', 'James'] },
        want: ['Chalmers', 'Peter', 'James'].map((exact) => ({
          kind: 'string',
          folded: exact.toLowerCase(),
          exact,
        })),
      },
      {
        name: 'code',
        type: 'token',
        value: 'male',
        want: [{ kind: 'token', system: null, code: 'male', text: null, typeSystem: null, typeCode: null }],
      },
      {
        name: 'boolean',
        type: 'token',
        value: true,
        want: [{ kind: 'token', system: null, code: 'true', text: null, typeSystem: null, typeCode: null }],
      },
      {
        name: 'CodeableConcept',
        type: 'token',
        value: { coding: [{ system: 'http://loinc.org', code: '8480-6' }], text: 'Systolic' },
        want: [
          {
            kind: 'token',
            system: 'http://loinc.org',
            code: '8480-6',
            text: null,
            typeSystem: null,
            typeCode: null,
          },
          { kind: 'token', system: null, code: null, text: 'systolic', typeSystem: null, typeCode: null },
        ],
      },
      {
        name: 'CodeableConcept with text only',
        type: 'token',
        value: { text: 'Héllo' },
        fhirType: 'CodeableConcept',
        want: [{ kind: 'token', system: null, code: null, text: 'hello', typeSystem: null, typeCode: null }],
      },
      {
        name: 'Identifier with type',
        type: 'token',
        value: {
          system: 'urn:mrn',
          value: '12',
          type: { coding: [{ system: 'http://t', code: 'MR' }], text: 'MRN' },
        },
        fhirType: 'Identifier',
        want: [
          {
            kind: 'token',
            system: 'urn:mrn',
            code: '12',
            text: 'mrn',
            typeSystem: 'http://t',
            typeCode: 'MR',
          },
        ],
      },
      {
        name: 'ContactPoint',
        type: 'token',
        value: { system: 'phone', value: '555' },
        fhirType: 'ContactPoint',
        want: [{ kind: 'token', system: null, code: '555', text: null, typeSystem: null, typeCode: null }],
      },
      {
        name: 'partial date',
        type: 'date',
        value: '2020-02',
        want: [{ kind: 'date', low: Date.UTC(2020, 1, 1), high: Date.UTC(2020, 2, 1) - 1 }],
      },
      {
        name: 'instant with zone',
        type: 'date',
        value: '2020-02-01T10:00:00+01:00',
        want: [{ kind: 'date', low: Date.UTC(2020, 1, 1, 9), high: Date.UTC(2020, 1, 1, 9, 0, 1) - 1 }],
      },
      {
        name: 'open Period',
        type: 'date',
        value: { start: '2020' },
        want: [{ kind: 'date', low: Date.UTC(2020, 0, 1), high: MAX_TIME }],
      },
      {
        name: 'Period ending',
        type: 'date',
        value: { end: '2020' },
        want: [{ kind: 'date', low: MIN_TIME, high: Date.UTC(2021, 0, 1) - 1 }],
      },
      {
        name: 'Timing events',
        type: 'date',
        value: { event: ['2020-01-05', '2020-01-02'] },
        want: [{ kind: 'date', low: Date.UTC(2020, 0, 2), high: Date.UTC(2020, 0, 6) - 1 }],
      },
      { name: 'number', type: 'number', value: 0.8, want: [{ kind: 'number', value: 0.8 }] },
      {
        name: 'Quantity',
        type: 'quantity',
        value: { value: 5.4, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' },
        want: [
          {
            kind: 'quantity',
            low: 5.4,
            high: 5.4,
            system: 'http://unitsofmeasure.org',
            code: 'mg',
            unit: 'mg',
          },
        ],
      },
      {
        name: 'Money',
        type: 'quantity',
        value: { value: 10, currency: 'EUR' },
        want: [
          { kind: 'quantity', low: 10, high: 10, system: 'urn:iso:std:iso:4217', code: 'EUR', unit: null },
        ],
      },
      {
        name: 'Range',
        type: 'quantity',
        value: { low: { value: 1, unit: 'a' }, high: { value: 3, unit: 'a' } },
        want: [{ kind: 'quantity', low: 1, high: 3, system: null, code: null, unit: 'a' }],
      },
      {
        name: 'relative Reference',
        type: 'reference',
        value: { reference: 'Patient/p1/_history/2' },
        want: [{ kind: 'reference', targetType: 'Patient', targetId: 'p1', url: null, version: null }],
      },
      {
        name: 'absolute Reference',
        type: 'reference',
        value: { reference: 'http://x.org/fhir/Patient/p1' },
        want: [
          {
            kind: 'reference',
            targetType: 'Patient',
            targetId: 'p1',
            url: 'http://x.org/fhir/Patient/p1',
            version: null,
          },
        ],
      },
      {
        name: 'canonical with version',
        type: 'reference',
        value: 'http://x.org/Questionnaire/q|2.0',
        want: [
          {
            kind: 'reference',
            targetType: 'Questionnaire',
            targetId: 'q',
            url: 'http://x.org/Questionnaire/q',
            version: '2.0',
          },
        ],
      },
      { name: 'contained Reference', type: 'reference', value: { reference: '#med1' }, want: [] },
      {
        name: 'uri',
        type: 'uri',
        value: 'http://x.org/vs',
        want: [{ kind: 'uri', value: 'http://x.org/vs' }],
      },
      { name: 'date param on an unparseable value', type: 'date', value: 'yesterday', want: [] },
    ];
  for (const { name, type, value, fhirType, want } of cases) {
    it(name, () =>
      assert.deepStrictEqual(normalise(type, fhirType ? { value, type: fhirType } : { value }), want),
    );
  }
});

describe('search index: expressions', () => {
  it('rewrites resolve(), collection casts and miscapitalised types', () => {
    assert.equal(
      forIndexing('Observation.subject.where(resolve() is Patient)'),
      "Observation.subject.where((reference.startsWith('Patient/') or reference.contains('/Patient/')))",
    );
    assert.equal(
      forIndexing('(Group.characteristic.value as CodeableConcept)'),
      '(Group.characteristic.value.ofType(FHIR.CodeableConcept))',
    );
    assert.equal(forIndexing('ConceptMap.source.as(Uri)'), 'ConceptMap.source.ofType(FHIR.uri)');
  });

  it('extracts rows of every type from one resource, composites grouped per node', () => {
    const evaluate = createEvaluator('r4');
    const observation = {
      resourceType: 'Observation',
      id: 'bp',
      meta: { lastUpdated: '2021-01-01T00:00:00Z' },
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
      subject: { reference: 'Patient/p1', identifier: { system: 'urn:mrn', value: '7' } },
      effectivePeriod: { start: '2020-05-01', end: '2020-05-02' },
      valueQuantity: { value: 120, comparator: '<', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
    };
    const { rows, problems } = extractRows(observation, TABLES.Observation as never, evaluate);
    assert.deepEqual(problems, []);
    const byParam = (param: string) =>
      rows.filter((row) => row.param === param).map((row) => ({ group: row.group, ...row.entry }));
    assert.deepEqual(byParam('_id'), [
      { group: 0, kind: 'token', system: null, code: 'bp', text: null, typeSystem: null, typeCode: null },
    ]);
    assert.deepEqual(byParam('patient'), [
      { group: 0, kind: 'reference', targetType: 'Patient', targetId: 'p1', url: null, version: null },
    ]);
    assert.deepEqual(
      byParam('subject:identifier').map((row) => [row.kind, 'code' in row ? row.code : undefined]),
      [['token', '7']],
    );
    assert.deepEqual(byParam('date'), [
      { group: 0, kind: 'date', low: Date.UTC(2020, 4, 1), high: Date.UTC(2020, 4, 3) - 1 },
    ]);
    assert.deepEqual(
      byParam('value-quantity').map((row) => row.kind),
      ['quantity'],
    );
    assert.deepEqual(
      byParam('code-value-quantity.0').map((row) => [row.group, 'code' in row ? row.code : null]),
      [[1, '85354-9']],
    );
    assert.deepEqual(
      byParam('code-value-quantity.1').map((row) => [row.group, 'low' in row ? row.low : null]),
      [[1, 120]],
    );
    assert.deepEqual(byParam('value-string'), []);
  });

  it('reports an expression that fails and goes on with the others', () => {
    const table = {
      resourceType: 'Patient',
      params: {
        bad: {
          code: 'bad',
          type: 'string' as const,
          expression: 'Patient.name.given.substring(',
          targets: [],
          modifiers: [],
          comparators: [],
          components: [],
          common: false,
        },
        family: {
          code: 'family',
          type: 'string' as const,
          expression: 'Patient.name.family',
          targets: [],
          modifiers: [],
          comparators: [],
          components: [],
          common: false,
        },
      },
    };
    const { rows, problems } = extractRows(
      { resourceType: 'Patient', name: [{ family: 'X' }] },
      table,
      createEvaluator('r4'),
    );
    assert.deepEqual(
      problems.map((p) => p.param),
      ['bad'],
    );
    assert.deepEqual(
      rows.map((row) => row.param),
      ['family'],
    );
  });
});
