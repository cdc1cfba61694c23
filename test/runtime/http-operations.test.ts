import assert from 'node:assert/strict';
import type { ServiceMap } from '../../src/runtime/service';
import { type AnyJson, FHIR_JSON, patient, post, startTestServer, type TestServer } from './fixtures/server';

/** Observation keeps only read and create, and Patient declares `$everything` and `$merge`. */
function withOperations(defaults: ServiceMap): ServiceMap {
  const patientService = defaults.Patient ?? {};
  return {
    Patient: {
      ...patientService,
      operations: [
        {
          name: 'everything',
          type: true,
          instance: true,
          handler: (input) => ({
            resourceType: 'Parameters',
            parameter: [
              { name: 'id', valueString: input.id ?? '(type)' },
              ...input.params.map(([name, value]) => ({ name, valueString: value })),
            ],
          }),
        },
        { name: 'merge', type: true, affectsState: true, handler: () => ({ resourceType: 'Parameters' }) },
        { name: 'broken', type: true, handler: () => ({ resourceType: 'NoSuchResource', colour: 'blue' }) },
      ],
    },
    Observation: {
      read: defaults.Observation?.read,
      create: defaults.Observation?.create,
    } as ServiceMap[string],
  };
}

describe('runtime http: patch, search, $validate, custom operations and the capability statement', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ r4Services: withOperations });
  });
  after(async () => {
    await server.stop();
  });

  async function jsonPatch(id: string, operations: unknown, headers: Record<string, string> = {}) {
    return fetch(`${server.url}/r4/Patient/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json', ...headers },
      body: JSON.stringify(operations),
    });
  }

  it('patches with JSON Patch: a new version, 412 on If-Match mismatch, 422 on failure, 415 on other types', async () => {
    const { id } = (await (await post(`${server.url}/r4/Patient`, patient())).json()) as AnyJson;
    const patched = await jsonPatch(id, [
      { op: 'test', path: '/gender', value: 'male' },
      { op: 'replace', path: '/gender', value: 'female' },
      { op: 'add', path: '/name/0/given/-', value: 'Jim' },
    ]);
    assert.equal(patched.status, 200);
    assert.equal(patched.headers.get('etag'), 'W/"2"');
    const body = (await patched.json()) as AnyJson;
    assert.equal(body.gender, 'female');
    assert.deepEqual(body.name[0].given, ['Peter', 'Jim']);
    assert.equal(
      (await jsonPatch(id, [{ op: 'remove', path: '/active' }], { 'if-match': 'W/"1"' })).status,
      412,
    );
    assert.equal((await jsonPatch(id, [{ op: 'test', path: '/gender', value: 'male' }])).status, 422);
    assert.equal((await jsonPatch(id, [{ op: 'replace', path: '/gender', value: 'robot' }])).status, 422);
    assert.equal((await jsonPatch(id, [{ op: 'replace', path: '/id', value: 'other' }])).status, 422);
    assert.equal((await jsonPatch(id, { op: 'add' })).status, 400);
    const wrongType = await fetch(`${server.url}/r4/Patient/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': FHIR_JSON },
      body: '[]',
    });
    assert.equal(wrongType.status, 415);
    assert.equal(
      ((await (await fetch(`${server.url}/r4/Patient/${id}`)).json()) as AnyJson).meta.versionId,
      '2',
      'failed patches changed nothing',
    );
    assert.equal((await jsonPatch('unknown', [{ op: 'remove', path: '/gender' }])).status, 404);
  });

  it('searches by GET and by POST _search with the same result, as a searchset Bundle', async () => {
    const { id } = (await (await post(`${server.url}/r4/Patient`, patient())).json()) as AnyJson;
    const byGet = (await (await fetch(`${server.url}/r4/Patient?_id=${id}`)).json()) as AnyJson;
    assert.equal(byGet.resourceType, 'Bundle');
    assert.equal(byGet.type, 'searchset');
    assert.equal(byGet.total, 1);
    assert.equal(byGet.entry[0].fullUrl, `${server.url}/r4/Patient/${id}`);
    assert.equal(byGet.entry[0].search.mode, 'match');
    assert.equal(byGet.link[0].url, `${server.url}/r4/Patient?_id=${id}`);
    const byPost = await fetch(`${server.url}/r4/Patient/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `_id=${id}`,
    });
    assert.equal(byPost.status, 200);
    assert.deepEqual(((await byPost.json()) as AnyJson).entry, byGet.entry);
  });

  it('pages search results with _count and a next link', async () => {
    for (let i = 0; i < 3; i++) await post(`${server.url}/r4/Patient`, patient());
    const first = (await (await fetch(`${server.url}/r4/Patient?_count=2`)).json()) as AnyJson;
    assert.equal(first.entry.length, 2);
    const next = first.link.find((link: { relation: string }) => link.relation === 'next');
    assert.ok(next, 'a next link');
    const second = (await (await fetch(next.url)).json()) as AnyJson;
    const ids = [...first.entry, ...second.entry].map(
      (entry: { resource: { id: string } }) => entry.resource.id,
    );
    assert.equal(new Set(ids).size, ids.length, 'no duplicates across pages');
  });

  it('refuses unknown search parameters with 400, ignores them with Prefer: handling=lenient', async () => {
    const strict = await fetch(`${server.url}/r4/Patient?colour=blue`);
    assert.equal(strict.status, 400);
    assert.match(((await strict.json()) as AnyJson).issue[0].diagnostics, /colour/);
    const lenient = await fetch(`${server.url}/r4/Patient?colour=blue`, {
      headers: { prefer: 'handling=lenient' },
    });
    assert.equal(lenient.status, 200);
    const body = (await lenient.json()) as AnyJson;
    const outcome = body.entry.find((entry: { search: { mode: string } }) => entry.search.mode === 'outcome');
    assert.match(outcome.resource.issue[0].diagnostics, /colour/);
    assert.doesNotMatch(body.link[0].url, /colour/, 'the self link shows only the parameters used');
  });

  it('$validate answers an OperationOutcome, for a bare resource or in Parameters', async () => {
    const valid = await post(`${server.url}/r4/Patient/$validate`, patient());
    assert.equal(valid.status, 200);
    const validBody = (await valid.json()) as AnyJson;
    assert.equal(validBody.resourceType, 'OperationOutcome');
    assert.equal(validBody.issue[0].severity, 'information');
    const invalid = await post(`${server.url}/r4/Patient/$validate`, {
      resourceType: 'Parameters',
      parameter: [{ name: 'resource', resource: patient({ gender: 'robot' }) }],
    });
    assert.equal(invalid.status, 200);
    assert.equal(((await invalid.json()) as AnyJson).issue[0].severity, 'error');
    assert.equal((await fetch(`${server.url}/r4/Patient/$validate`)).status, 405);
  });

  it('routes custom operations at type and instance level, GET and POST, and casts their results', async () => {
    const typeLevel = (await (
      await fetch(`${server.url}/r4/Patient/$everything?start=2020`)
    ).json()) as AnyJson;
    assert.deepEqual(typeLevel.parameter, [
      { name: 'id', valueString: '(type)' },
      { name: 'start', valueString: '2020' },
    ]);
    const instance = await post(`${server.url}/r4/Patient/p1/$everything`, {
      resourceType: 'Parameters',
      parameter: [{ name: '_count', valueInteger: 5 }],
    });
    assert.equal(instance.status, 200);
    assert.deepEqual(((await instance.json()) as AnyJson).parameter, [
      { name: 'id', valueString: 'p1' },
      { name: '_count', valueString: '5' },
    ]);
    assert.equal(
      (await fetch(`${server.url}/r4/Patient/$merge`)).status,
      405,
      'state-changing operations take POST',
    );
    assert.equal((await post(`${server.url}/r4/Patient/$merge`, { resourceType: 'Parameters' })).status, 200);
    assert.equal(
      (await fetch(`${server.url}/r4/Patient/p1/$merge`)).status,
      404,
      '$merge is type-level only',
    );
    assert.equal((await fetch(`${server.url}/r4/Patient/$unknown`)).status, 404);
    const broken = await fetch(`${server.url}/r4/Patient/$broken`);
    assert.equal(broken.status, 500);
    assert.match(((await broken.json()) as AnyJson).issue[0].diagnostics, /R4 Patient service \(\$broken\)/);
  });

  it('lists exactly the served resources, interactions, operations and search parameters', async () => {
    const statement = (await (await fetch(`${server.url}/r4/metadata`)).json()) as AnyJson;
    assert.equal(statement.resourceType, 'CapabilityStatement');
    assert.equal(statement.fhirVersion, '4.0.1');
    const [rest] = statement.rest;
    const byType = Object.fromEntries(rest.resource.map((entry: { type: string }) => [entry.type, entry]));
    assert.deepEqual(Object.keys(byType), ['Observation', 'Patient']);
    const codes = (type: string) => byType[type].interaction.map((entry: { code: string }) => entry.code);
    assert.deepEqual(codes('Observation'), ['read', 'create']);
    assert.equal(byType.Observation.searchParam, undefined);
    assert.deepEqual(codes('Patient'), [
      'read',
      'vread',
      'update',
      'delete',
      'history-instance',
      'history-type',
      'create',
      'search-type',
      'patch',
    ]);
    assert.deepEqual(
      byType.Patient.operation.map((entry: { name: string }) => entry.name),
      ['validate', 'everything', 'merge', 'broken'],
    );
    assert.deepEqual(
      byType.Patient.searchParam.map((entry: { name: string }) => entry.name),
      ['_id', 'name', 'gender', 'birthdate'],
    );
    assert.deepEqual(
      rest.interaction.map((entry: { code: string }) => entry.code),
      ['transaction', 'batch', 'history-system'],
    );
    const dstu2 = (await (await fetch(`${server.url}/dstu2/metadata`)).json()) as AnyJson;
    assert.equal(dstu2.resourceType, 'Conformance');
    assert.equal(dstu2.acceptUnknown, 'no');
    assert.equal(
      dstu2.rest[0].operation[0].definition.reference,
      'http://hl7.org/fhir/OperationDefinition/Resource-validate',
    );
    assert.ok(
      !dstu2.rest[0].resource[1].interaction.some((entry: { code: string }) => entry.code === 'patch'),
    );
  });
});
