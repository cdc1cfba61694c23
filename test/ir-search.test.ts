import assert from 'node:assert/strict';
import type { RawSearchParameter } from '../src/ir/raw';
import {
  type ResourceLineage,
  restrictExpression,
  restrictXpath,
  searchParametersByResource,
  splitUnion,
} from '../src/ir/search-parameters';
import { debugEnabled, passTimer } from '../src/ir/timing';

const RESOURCES = new Set(['Resource', 'DomainResource', 'Patient', 'Person', 'Observation']);
const lineages: ResourceLineage[] = [
  { name: 'Resource', abstract: true, lineage: ['Resource'] },
  { name: 'DomainResource', abstract: true, lineage: ['DomainResource', 'Resource'] },
  { name: 'Patient', abstract: false, lineage: ['Patient', 'DomainResource', 'Resource'] },
  { name: 'Person', abstract: false, lineage: ['Person', 'DomainResource', 'Resource'] },
];
const url = (id: string) => `http://hl7.org/fhir/SearchParameter/${id}`;
const parameter = (id: string, fields: Partial<RawSearchParameter>): RawSearchParameter => ({
  resourceType: 'SearchParameter',
  url: url(id),
  id,
  code: id.split('-').slice(1).join('-'),
  base: [id.split('-')[0] ?? ''],
  type: 'token',
  ...fields,
});

describe('IR search parameter expressions', () => {
  it('splits unions at the top level only', () => {
    assert.deepEqual(splitUnion("a.where(x = 'p|q') | (b as Quantity) | c[@x='1|2']"), [
      "a.where(x = 'p|q')",
      '(b as Quantity)',
      "c[@x='1|2']",
    ]);
  });

  it('restricts multi-resource expressions and xpaths to the resource in hand', () => {
    const expression = 'Person.gender | (Patient.deceased as dateTime) | Observation.code';
    assert.equal(restrictExpression(expression, 'Patient', RESOURCES), '(Patient.deceased as dateTime)');
    assert.equal(restrictExpression('Resource.meta.tag', 'Resource', RESOURCES), 'Resource.meta.tag');
    assert.equal(
      restrictExpression("telecom.where(system='phone')", 'Patient', RESOURCES),
      "telecom.where(system='phone')",
    );
    assert.equal(
      restrictXpath('f:Person/f:gender | f:Patient/f:gender', 'Patient', RESOURCES),
      'f:Patient/f:gender',
    );
  });
});

describe('IR pass "search parameters"', () => {
  const raw = [
    parameter('Resource-id', { code: '_id', expression: 'Resource.id', xpath: 'f:Resource/f:id' }),
    parameter('DomainResource-text', { code: '_text', type: 'string' }),
    parameter('individual-gender', {
      code: 'gender',
      base: ['Patient', 'Person'],
      expression: 'Patient.gender | Person.gender',
      xpath: 'f:Patient/f:gender | f:Person/f:gender',
      modifier: ['missing'],
    }),
    parameter('Patient-link', {
      code: 'link',
      type: 'reference',
      base: 'Patient',
      xpath: 'f:Patient/f:link/f:other',
      target: ['Patient', 'RelatedPerson'],
    }),
    parameter('example', {
      code: '_id',
      base: ['Resource'],
      expression: 'id',
      experimental: true,
    } as Partial<RawSearchParameter>),
    parameter('zexample', { code: '_id', base: ['Resource'], xpath: 'f:*/f:id' }),
    parameter('patient-extensions-Patient-age', {
      code: 'age',
      base: ['Patient'],
      xpath: "f:Patient/f:extension[@url='http://example.org/age']",
    }),
    parameter('daf-Patient-race', { code: 'race', base: ['Patient'] }),
    parameter('Patient-name-use', { code: 'name-use', base: ['Patient'], type: 'composite' }),
  ];
  const byResource = searchParametersByResource(raw, lineages);

  it('gives each resource its own parameters and the common ones, sorted by code', () => {
    const patient = byResource.get('Patient') ?? [];
    assert.deepEqual(
      patient.map((p) => [p.code, p.common]),
      [
        ['_id', true],
        ['_text', true],
        ['gender', false],
        ['link', false],
        ['name-use', false],
      ],
    );
    assert.deepEqual(
      byResource.get('Resource')?.map((p) => [p.code, p.common]),
      [['_id', false]],
    );
  });

  it("keeps the resource's part of shared expressions, and the definition's details", () => {
    const gender = byResource.get('Person')?.find((p) => p.code === 'gender');
    assert.equal(gender?.expression, 'Person.gender');
    assert.equal(gender?.xpath, 'f:Person/f:gender');
    assert.deepEqual(gender?.modifiers, ['missing']);
    const link = byResource.get('Patient')?.find((p) => p.code === 'link');
    assert.equal(link?.type, 'reference');
    assert.equal(link?.expression, undefined, 'DSTU2 parameters have an xpath only');
    assert.deepEqual(link?.targets, ['Patient', 'RelatedPerson']);
  });

  it('leaves out examples, parameters on extensions, and non-common ones with nothing to evaluate', () => {
    const patient = byResource.get('Patient') ?? [];
    assert.equal(patient.find((p) => p.code === '_id')?.url, url('Resource-id'));
    assert.equal(
      patient.find((p) => p.code === 'age'),
      undefined,
    );
    assert.equal(
      patient.find((p) => p.code === 'race'),
      undefined,
    );
  });

  it('reads STU3 and R4 composite components', () => {
    const composite = searchParametersByResource(
      [
        parameter('Observation-code-value', {
          type: 'composite',
          base: ['Observation'],
          expression: 'Observation',
          component: [
            { definition: { reference: url('Observation-code') }, expression: 'code' },
            { definition: `${url('Observation-value')}|4.0.1`, expression: 'value' },
          ],
        }),
      ],
      [{ name: 'Observation', abstract: false, lineage: ['Observation'] }],
    ).get('Observation');
    assert.deepEqual(composite?.[0]?.components, [
      { definition: url('Observation-code'), expression: 'code' },
      { definition: url('Observation-value'), expression: 'value' },
    ]);
  });
});

describe('IR pass timing', () => {
  it('is on for DEBUG patterns that match fhirgen:ir', () => {
    assert.equal(debugEnabled('fhirgen:*'), true);
    assert.equal(debugEnabled('fhirgen:ir'), true);
    assert.equal(debugEnabled('express:*,fhirgen:ir'), true);
    assert.equal(debugEnabled('*'), true);
    assert.equal(debugEnabled('fhirgen:emit'), false);
    assert.equal(debugEnabled(undefined), false);
  });

  it('writes one line per pass when on, and nothing when off', () => {
    const lines: string[] = [];
    const on = passTimer('r4', true, (line) => lines.push(line));
    assert.equal(
      on('collect', () => 42),
      42,
    );
    assert.match(lines[0] ?? '', /^fhirgen:ir r4 collect \d+\.\dms\n$/);
    const off = passTimer('r4', false, (line) => lines.push(line));
    off('collect', () => 1);
    assert.equal(lines.length, 1);
  });
});
