import assert from 'node:assert/strict';
import type { SearchQuery } from '../../src/runtime/contracts';
import { parseSearch, readQueryPairs } from '../../src/runtime/search/parse';
import type { FhirVersion } from '../../src/runtime/search/table';
import type { SearchIssue } from '../../src/runtime/search/types';
import { TABLES } from './fixtures/search/tables';

function parse(resourceType: string, query: string, version: FhirVersion = 'r4', lenient = false) {
  return parseSearch(resourceType, readQueryPairs(query), {
    version,
    tables: TABLES,
    defaultCount: 10,
    maxCount: 50,
    lenient,
  });
}

function accepted(resourceType: string, query: string, version: FhirVersion = 'r4'): SearchQuery {
  const result = parse(resourceType, query, version);
  if (!result.ok) assert.fail(`expected ${query} to parse, got ${JSON.stringify(result.issues)}`);
  return result.query;
}

function refused(resourceType: string, query: string, version: FhirVersion = 'r4'): SearchIssue[] {
  const result = parse(resourceType, query, version);
  if (result.ok) assert.fail(`expected ${query} to be refused, got ${JSON.stringify(result.query.params)}`);
  return result.issues;
}

/** The values of the only parameter, without `raw`, for compact expectations. */
function values(query: SearchQuery): unknown[] {
  assert.equal(query.params.length, 1);
  const param = query.params[0];
  const list = param?.chain?.param.values ?? param?.reverse?.param.values ?? param?.values ?? [];
  return list.map(({ raw: _raw, ...rest }) => rest);
}

const Y2020 = Date.UTC(2020, 0, 1);
const Y2021 = Date.UTC(2021, 0, 1);

describe('search parser: values by type', () => {
  const cases: { name: string; type: string; query: string; want: unknown[] }[] = [
    {
      name: 'number, integer precision',
      type: 'RiskAssessment',
      query: 'probability=100',
      want: [{ kind: 'number', value: 100, low: 99.5, high: 100.5 }],
    },
    {
      name: 'number, decimal precision',
      type: 'RiskAssessment',
      query: 'probability=100.00',
      want: [{ kind: 'number', value: 100, low: 99.995, high: 100.005 }],
    },
    {
      name: 'number, exponent',
      type: 'RiskAssessment',
      query: 'probability=1.0e2',
      want: [{ kind: 'number', value: 100, low: 95, high: 105 }],
    },
    {
      name: 'number, prefix',
      type: 'RiskAssessment',
      query: 'probability=gt0.8',
      want: [{ kind: 'number', value: 0.8, low: 0.75, high: 0.85, prefix: 'gt' }],
    },
    {
      name: 'date, year',
      type: 'Patient',
      query: 'birthdate=2020',
      want: [{ kind: 'date', low: Y2020, high: Y2021 - 1 }],
    },
    {
      name: 'date, month',
      type: 'Patient',
      query: 'birthdate=2020-02',
      want: [{ kind: 'date', low: Date.UTC(2020, 1, 1), high: Date.UTC(2020, 2, 1) - 1 }],
    },
    {
      name: 'date, day',
      type: 'Patient',
      query: 'birthdate=2020-02-29',
      want: [{ kind: 'date', low: Date.UTC(2020, 1, 29), high: Date.UTC(2020, 2, 1) - 1 }],
    },
    {
      name: 'date, minute with zone',
      type: 'Patient',
      query: 'birthdate=ge2020-05-01T10:00%2B02:00',
      want: [
        { kind: 'date', prefix: 'ge', low: Date.UTC(2020, 4, 1, 8), high: Date.UTC(2020, 4, 1, 8, 1) - 1 },
      ],
    },
    {
      name: 'date, seconds',
      type: 'Patient',
      query: 'birthdate=2020-05-01T10:00:05Z',
      want: [{ kind: 'date', low: Date.UTC(2020, 4, 1, 10, 0, 5), high: Date.UTC(2020, 4, 1, 10, 0, 6) - 1 }],
    },
    {
      name: 'date, fraction',
      type: 'Patient',
      query: 'birthdate=2020-05-01T10:00:05.5Z',
      want: [
        { kind: 'date', low: Date.UTC(2020, 4, 1, 10, 0, 5, 500), high: Date.UTC(2020, 4, 1, 10, 0, 5, 599) },
      ],
    },
    {
      name: 'string',
      type: 'Patient',
      query: 'name=Ch%C3%A2lmers',
      want: [{ kind: 'string', value: 'Châlmers', folded: 'chalmers' }],
    },
    {
      name: 'string :exact',
      type: 'Patient',
      query: 'name:exact=Peter',
      want: [{ kind: 'string', value: 'Peter', folded: 'peter' }],
    },
    {
      name: 'string :contains',
      type: 'Patient',
      query: 'name:contains=ete',
      want: [{ kind: 'string', value: 'ete', folded: 'ete' }],
    },
    { name: 'token code', type: 'Patient', query: 'gender=male', want: [{ kind: 'token', code: 'male' }] },
    {
      name: 'token system|code',
      type: 'Patient',
      query: 'identifier=http://x.org|123',
      want: [{ kind: 'token', system: 'http://x.org', code: '123' }],
    },
    {
      name: 'token |code (no system)',
      type: 'Patient',
      query: 'identifier=|123',
      want: [{ kind: 'token', system: null, code: '123' }],
    },
    {
      name: 'token system| (any code)',
      type: 'Patient',
      query: 'identifier=http://x.org|',
      want: [{ kind: 'token', system: 'http://x.org' }],
    },
    {
      name: 'token :text',
      type: 'Observation',
      query: 'code:text=Blood%20Pr%C3%A9ssure',
      want: [{ kind: 'text', value: 'Blood Préssure', folded: 'blood pressure' }],
    },
    {
      name: 'token :not',
      type: 'Patient',
      query: 'gender:not=male',
      want: [{ kind: 'token', code: 'male' }],
    },
    {
      name: 'token :in',
      type: 'Observation',
      query: 'code:in=http://vs.org/x',
      want: [{ kind: 'uri', value: 'http://vs.org/x' }],
    },
    {
      name: 'token :not-in',
      type: 'Observation',
      query: 'code:not-in=http://vs.org/x',
      want: [{ kind: 'uri', value: 'http://vs.org/x' }],
    },
    {
      name: 'token :above',
      type: 'Observation',
      query: 'code:above=http://snomed.info/sct|235862008',
      want: [{ kind: 'token', system: 'http://snomed.info/sct', code: '235862008' }],
    },
    {
      name: 'token :below',
      type: 'Observation',
      query: 'code:below=http://snomed.info/sct|235862008',
      want: [{ kind: 'token', system: 'http://snomed.info/sct', code: '235862008' }],
    },
    {
      name: 'token :of-type',
      type: 'Patient',
      query: 'identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|446053',
      want: [
        {
          kind: 'token',
          typeSystem: 'http://terminology.hl7.org/CodeSystem/v2-0203',
          typeCode: 'MR',
          code: '446053',
        },
      ],
    },
    {
      name: 'reference id',
      type: 'Patient',
      query: 'organization=123',
      want: [{ kind: 'reference', id: '123' }],
    },
    {
      name: 'reference Type/id',
      type: 'Patient',
      query: 'organization=Organization/123',
      want: [{ kind: 'reference', resourceType: 'Organization', id: '123' }],
    },
    {
      name: 'reference with history',
      type: 'Patient',
      query: 'organization=Organization/123/_history/2',
      want: [{ kind: 'reference', resourceType: 'Organization', id: '123', version: '2' }],
    },
    {
      name: 'reference absolute',
      type: 'Patient',
      query: 'organization=http://other.org/fhir/Organization/7',
      want: [
        {
          kind: 'reference',
          url: 'http://other.org/fhir/Organization/7',
          resourceType: 'Organization',
          id: '7',
        },
      ],
    },
    {
      name: 'reference :[type]',
      type: 'Patient',
      query: 'general-practitioner:Practitioner=42',
      want: [{ kind: 'reference', resourceType: 'Practitioner', id: '42' }],
    },
    {
      name: 'reference :identifier',
      type: 'Observation',
      query: 'subject:identifier=http://x.org|9',
      want: [{ kind: 'token', system: 'http://x.org', code: '9' }],
    },
    {
      name: 'reference canonical with version',
      type: 'Observation',
      query: 'derived-from:below=http://x.org/Q|2.0',
      want: [{ kind: 'reference', url: 'http://x.org/Q', version: '2.0' }],
    },
    {
      name: 'quantity number only',
      type: 'Observation',
      query: 'value-quantity=5.4',
      want: [{ kind: 'quantity', value: 5.4, low: 5.35, high: 5.45 }],
    },
    {
      name: 'quantity with system and code',
      type: 'Observation',
      query: 'value-quantity=le5.4|http://unitsofmeasure.org|mg',
      want: [
        {
          kind: 'quantity',
          prefix: 'le',
          value: 5.4,
          low: 5.35,
          high: 5.45,
          system: 'http://unitsofmeasure.org',
          code: 'mg',
        },
      ],
    },
    {
      name: 'quantity ||code',
      type: 'Observation',
      query: 'value-quantity=5.4||mg',
      want: [{ kind: 'quantity', value: 5.4, low: 5.35, high: 5.45, system: null, code: 'mg' }],
    },
    {
      name: 'uri',
      type: 'ValueSet',
      query: 'url=http://hl7.org/fhir/ValueSet/x',
      want: [{ kind: 'uri', value: 'http://hl7.org/fhir/ValueSet/x' }],
    },
    {
      name: 'uri :below',
      type: 'ValueSet',
      query: 'url:below=http://hl7.org/fhir/',
      want: [{ kind: 'uri', value: 'http://hl7.org/fhir/' }],
    },
    {
      name: 'missing',
      type: 'Patient',
      query: 'birthdate:missing=true',
      want: [{ kind: 'missing', missing: true }],
    },
    {
      name: 'composite',
      type: 'Observation',
      query: 'code-value-quantity=http://loinc.org|8480-6$gt100',
      want: [
        {
          kind: 'composite',
          components: [
            { kind: 'token', raw: 'http://loinc.org|8480-6', system: 'http://loinc.org', code: '8480-6' },
            { kind: 'quantity', raw: 'gt100', prefix: 'gt', value: 100, low: 99.5, high: 100.5 },
          ],
        },
      ],
    },
  ];
  for (const { name, type, query, want } of cases) {
    it(name, () => assert.deepStrictEqual(values(accepted(type, query)), want));
  }

  for (const prefix of ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']) {
    it(`prefix ${prefix} on date, number and quantity`, () => {
      assert.deepEqual(values(accepted('Patient', `birthdate=${prefix}2020`)), [
        { kind: 'date', prefix, low: Y2020, high: Y2021 - 1 },
      ]);
      assert.equal(
        (values(accepted('Observation', `value-quantity=${prefix}1`))[0] as { prefix: string }).prefix,
        prefix,
      );
      assert.equal(
        (
          values(accepted('Observation', `code-value-quantity=a$${prefix}1`))[0] as {
            components: { prefix: string }[];
          }
        ).components[1]?.prefix,
        prefix,
      );
    });
  }
});

describe('search parser: combining, escaping, chains', () => {
  it('ORs comma-separated values and unescapes \\,', () => {
    const query = accepted('Patient', 'name=a\\,b,c');
    assert.deepEqual(
      query.params[0]?.values.map((v) => v.raw),
      ['a,b', 'c'],
    );
  });

  it('ANDs repetitions in order', () => {
    const query = accepted('Patient', 'birthdate=ge2020&birthdate=le2021');
    assert.deepEqual(
      query.params.map((p) => p.values[0]?.prefix),
      ['ge', 'le'],
    );
  });

  it('unescapes \\| and \\$ inside a token and a composite', () => {
    assert.deepEqual(values(accepted('Patient', 'identifier=a\\|b')), [{ kind: 'token', code: 'a|b' }]);
    const [composite] = values(accepted('Observation', 'code-value-quantity=x\\$y$1')) as {
      components: { code?: string }[];
    }[];
    assert.equal(composite?.components[0]?.code, 'x$y');
  });

  it('reads a form body the same way as a query string', () => {
    const fromGet = accepted('Patient', '?name=peter+pan&gender=male');
    const fromBody = parseSearch('Patient', readQueryPairs('name=peter%20pan&gender=male'), {
      version: 'r4',
      tables: TABLES,
      defaultCount: 10,
      maxCount: 50,
      lenient: false,
    });
    assert.ok(fromBody.ok);
    assert.deepStrictEqual(fromBody.query, fromGet);
    assert.equal(fromGet.params[0]?.values[0]?.raw, 'peter pan');
  });

  it('parses a typed chain', () => {
    const [param] = accepted('Observation', 'subject:Patient.name=peter').params;
    assert.equal(param?.modifier, 'Patient');
    assert.equal(param?.chain?.targetType, 'Patient');
    assert.equal(param?.chain?.param.name, 'name');
    assert.equal(param?.chain?.param.type, 'string');
  });

  it('parses an untyped chain over the targets that define the parameter', () => {
    const [param] = accepted('Observation', 'subject.name:exact=peter').params;
    assert.equal(param?.chain?.targetType, undefined);
    assert.equal(param?.chain?.param.modifier, 'exact');
  });

  it('parses _has', () => {
    const [param] = accepted('Patient', '_has:Observation:patient:code=1234-5').params;
    assert.deepEqual(
      {
        name: param?.name,
        type: param?.reverse?.type,
        reference: param?.reverse?.reference,
        inner: param?.reverse?.param.name,
      },
      { name: '_has', type: 'Observation', reference: 'patient', inner: 'code' },
    );
  });

  it('ignores empty values', () =>
    assert.deepEqual(
      accepted('Patient', 'name=&gender=male').params.map((p) => p.name),
      ['gender'],
    ));
  it('ignores _format and _pretty', () =>
    assert.deepEqual(accepted('Patient', '_format=json&_pretty=true').params, []));
});

describe('search parser: result parameters', () => {
  it('bounds _count by the configured maximum', () => {
    assert.equal(accepted('Patient', '_count=5').count, 5);
    assert.equal(accepted('Patient', '_count=500').count, 50);
    assert.equal(accepted('Patient', '').count, 10);
  });

  it('reads _sort with several keys and -', () => {
    assert.deepEqual(accepted('Patient', '_sort=family,-birthdate').sort, [
      { name: 'family', descending: false },
      { name: 'birthdate', descending: true },
    ]);
  });

  it('reads DSTU2 _sort:asc/_sort:desc repetitions', () => {
    assert.deepEqual(accepted('Patient', '_sort:asc=family&_sort:desc=birthdate', 'dstu2').sort, [
      { name: 'family', descending: false },
      { name: 'birthdate', descending: true },
    ]);
  });

  it('reads _include and _revinclude with :iterate, targets and *', () => {
    const query = accepted(
      'Observation',
      '_include=Observation:subject:Patient&_include:iterate=Patient:general-practitioner&_include=*&_revinclude=Observation:derived-from',
    );
    assert.deepEqual(query.include, [
      { sourceType: 'Observation', param: 'subject', targetType: 'Patient', iterate: false },
      { sourceType: 'Patient', param: 'general-practitioner', iterate: true },
      { sourceType: 'Observation', param: '*', iterate: false },
    ]);
    assert.deepEqual(query.revinclude, [
      { sourceType: 'Observation', param: 'derived-from', iterate: false },
    ]);
  });

  it('accepts :recurse in STU3 and DSTU2', () => {
    for (const version of ['stu3', 'dstu2'] as const) {
      assert.equal(
        accepted('Observation', '_include:recurse=Patient:organization', version).include[0]?.iterate,
        true,
      );
    }
  });

  it('reads _summary, _elements and _total', () => {
    const query = accepted('Patient', '_summary=count&_elements=name,birthDate&_total=accurate');
    assert.deepEqual(
      [query.summary, query.elements, query.total],
      ['count', ['name', 'birthDate'], 'accurate'],
    );
  });
});

describe('search parser: errors name the parameter', () => {
  const cases: { type: string; query: string; version?: FhirVersion; message: RegExp }[] = [
    { type: 'Patient', query: 'nonsense=1', message: /unknown search parameter/ },
    { type: 'Patient', query: 'constructor=1', message: /unknown search parameter/ },
    { type: 'Patient', query: '__proto__=1', message: /unknown search parameter/ },
    { type: 'Patient', query: 'name:foo=x', message: /unknown modifier ':foo'/ },
    { type: 'Patient', query: 'gender:exact=x', message: /unknown modifier ':exact' for a token/ },
    {
      type: 'Patient',
      query: 'identifier:of-type=a|b|c',
      version: 'stu3',
      message: /unknown modifier ':of-type'/,
    },
    {
      type: 'Observation',
      query: 'subject:identifier=a|b',
      version: 'stu3',
      message: /unknown modifier ':identifier'/,
    },
    { type: 'Patient', query: 'birthdate=2020-13', message: /not a date/ },
    { type: 'Patient', query: 'birthdate=2021-02-29', message: /not a date/ },
    { type: 'Patient', query: 'birthdate=xx2020', message: /not a date/ },
    { type: 'Patient', query: 'birthdate=2020-05-01T25:00', message: /not a date/ },
    { type: 'RiskAssessment', query: 'probability=abc', message: /not a number/ },
    { type: 'RiskAssessment', query: 'probability=ge1', message: /prefix 'ge' is not allowed/ },
    { type: 'Observation', query: 'value-quantity=5|mg', message: /\[number\]\|\[system\]\|\[code\]/ },
    { type: 'Observation', query: 'value-quantity=mg', message: /does not start with a number/ },
    { type: 'Patient', query: 'identifier=a|b|c', message: /more than one '\|'/ },
    { type: 'Patient', query: 'identifier:of-type=a|b', message: /all three present/ },
    { type: 'Patient', query: 'organization=Patient/1', message: /not a target/ },
    { type: 'Patient', query: 'organization=Nonsense/1', message: /not a resource type/ },
    { type: 'Patient', query: 'organization=a b', message: /not an id/ },
    {
      type: 'Patient',
      query: 'general-practitioner:Patient=1',
      message: /not a resource type this parameter points to/,
    },
    { type: 'Patient', query: 'general-practitioner:Practitioner=Practitioner/1', message: /must be an id/ },
    { type: 'Patient', query: 'birthdate:missing=maybe', message: /true or false/ },
    { type: 'Patient', query: 'name=a,,b', message: /empty value/ },
    { type: 'Observation', query: 'code-value-quantity=a', message: /needs 2 parts/ },
    { type: 'Observation', query: 'code-value-quantity=a$x', message: /component value-quantity/ },
    { type: 'Observation', query: 'status:text=x', message: /unknown modifier ':text'/ },
    { type: 'ValueSet', query: '_query=x', message: /special parameters are not supported/ },
    { type: 'Observation', query: 'code.name=x', message: /only reference parameters can be chained/ },
    { type: 'Observation', query: 'subject.organization.name=x', message: /deeper than one level/ },
    {
      type: 'Observation',
      query: 'subject:Patient.nonsense=x',
      message: /not a search parameter of Patient/,
    },
    { type: 'Patient', query: 'general-practitioner.name=x', message: /different types/ },
    {
      type: 'Patient',
      query: '_has:Observation:patient:code=1',
      version: 'dstu2',
      message: /_has is not defined/,
    },
    { type: 'Patient', query: '_has:Observation:code:code=1', message: /not a reference parameter/ },
    { type: 'Patient', query: '_has:Nonsense:patient:code=1', message: /not a resource type/ },
    { type: 'Patient', query: '_has:Observation:patient:_has:X:y:z=1', message: /expected _has|nested/ },
    {
      type: 'Organization',
      query: '_has:Observation:patient:code=1',
      message: /does not point at Organization/,
    },
    { type: 'Patient', query: '_count=-1', message: /non-negative integer/ },
    { type: 'Patient', query: '_count=1&_count=2', message: /only once/ },
    { type: 'Patient', query: '_sort=nonsense', message: /cannot sort by 'nonsense'/ },
    { type: 'Patient', query: '_sort:desc=name', message: /takes no modifier/ },
    { type: 'Patient', query: '_sort:up=name', version: 'dstu2', message: /not asc or desc/ },
    { type: 'Observation', query: '_include=Patient:organization', message: /not the searched type/ },
    { type: 'Observation', query: '_include=Observation:code', message: /not a reference parameter/ },
    { type: 'Observation', query: '_include=Observation:subject:Practitioner', message: /not a target/ },
    {
      type: 'Observation',
      query: '_include:iterate=Patient:organization',
      version: 'stu3',
      message: /not one of :recurse/,
    },
    { type: 'Observation', query: '_include=junk', message: /is not \[type\]:\[parameter\]/ },
    {
      type: 'Patient',
      query: '_revinclude=Observation:subject:Group',
      message: /not a target|does not point/,
    },
    {
      type: 'Organization',
      query: '_revinclude=Observation:patient',
      message: /does not point at Organization/,
    },
    { type: 'Patient', query: '_summary=maybe', message: /not one of/ },
    { type: 'Patient', query: '_elements=name,bad-name', message: /not an element name/ },
    { type: 'Patient', query: '_total=accurate', version: 'stu3', message: /_total is not defined/ },
    { type: 'Patient', query: '_total=exact', message: /not one of none/ },
    { type: 'Patient', query: '_cursor=abc', message: /not a cursor/ },
    {
      type: 'Patient',
      query: `_cursor=${Buffer.from('{"d":"n","k":[{}]}').toString('base64url')}`,
      message: /not a cursor/,
    },
    { type: 'Nonsense', query: 'name=x', message: /not a resource type/ },
  ];
  for (const { type, query, version, message } of cases) {
    it(`${type}?${query}${version ? ` (${version})` : ''}`, () => {
      const issues = refused(type, query, version);
      assert.equal(issues.length, 1, JSON.stringify(issues));
      const [issue] = issues;
      const key = query.split('=')[0];
      if (type !== 'Nonsense') assert.equal(issue?.param, decodeURIComponent(key ?? ''));
      assert.match(issue?.message ?? '', message);
    });
  }

  it('reports every bad parameter, not only the first', () => {
    assert.deepEqual(
      refused('Patient', 'nonsense=1&birthdate=x&gender=male&_count=y').map((i) => i.param),
      ['nonsense', 'birthdate', '_count'],
    );
  });

  it('drops bad parameters under lenient handling and lists them', () => {
    const result = parse('Patient', 'nonsense=1&gender=male&_count=y', 'r4', true);
    assert.ok(result.ok);
    assert.deepEqual(
      result.query.params.map((p) => p.name),
      ['gender'],
    );
    assert.equal(result.query.count, 10);
    assert.deepEqual(
      result.query.ignored.map((i) => i.name),
      ['nonsense', '_count'],
    );
  });
});

describe('search parser: the example in src/runtime/search/README.md', () => {
  it('gives the query the README shows', () => {
    const query = accepted(
      'Patient',
      'name=pet,paul&birthdate=ge1970&birthdate=lt1980-06&_sort=-birthdate&_count=10',
    );
    assert.deepStrictEqual(query, {
      resourceType: 'Patient',
      params: [
        {
          name: 'name',
          type: 'string',
          values: [
            { kind: 'string', raw: 'pet', value: 'pet', folded: 'pet' },
            { kind: 'string', raw: 'paul', value: 'paul', folded: 'paul' },
          ],
        },
        {
          name: 'birthdate',
          type: 'date',
          values: [{ kind: 'date', raw: 'ge1970', prefix: 'ge', low: 0, high: 31535999999 }],
        },
        {
          name: 'birthdate',
          type: 'date',
          values: [{ kind: 'date', raw: 'lt1980-06', prefix: 'lt', low: 328665600000, high: 331257599999 }],
        },
      ],
      count: 10,
      sort: [{ name: 'birthdate', descending: true }],
      include: [],
      revinclude: [],
      ignored: [],
    });
  });
});
