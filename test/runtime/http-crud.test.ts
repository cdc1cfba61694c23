import assert from 'node:assert/strict';
import {
  type AnyJson,
  FHIR_JSON,
  patient,
  post,
  put,
  startTestServer,
  type TestServer,
} from './fixtures/server';

describe('runtime http: read, vread, create, update, delete, history', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => {
    await server.stop();
  });

  async function created(body = patient()): Promise<{ id: string; location: string }> {
    const response = await post(`${server.url}/r4/Patient`, body);
    assert.equal(response.status, 201);
    const location = response.headers.get('location') ?? '';
    const id = /\/Patient\/([^/]+)\/_history\/1$/.exec(location)?.[1];
    assert.ok(id, `Location ${location} names the new version`);
    return { id, location };
  }

  it('creates with 201, an absolute Location with _history, ETag, HTTP-date Last-Modified and the resource', async () => {
    const response = await post(`${server.url}/r4/Patient`, patient({ id: 'client-chosen' }));
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
    assert.match(
      response.headers.get('location') ?? '',
      new RegExp(`^${server.url}/r4/Patient/[^/]+/_history/1$`),
    );
    assert.equal(response.headers.get('etag'), 'W/"1"');
    assert.match(
      response.headers.get('last-modified') ?? '',
      /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
    );
    const body = (await response.json()) as AnyJson;
    assert.notEqual(body.id, 'client-chosen', 'the server assigns the id');
    assert.equal(body.meta.versionId, '1');
    assert.equal(body.gender, 'male');
  });

  it('reads and vreads what was created, and 404s unknown ids and versions with an OperationOutcome', async () => {
    const { id } = await created();
    const read = await fetch(`${server.url}/r4/Patient/${id}`);
    assert.equal(read.status, 200);
    assert.equal(read.headers.get('etag'), 'W/"1"');
    assert.equal(((await read.json()) as AnyJson).id, id);
    const vread = await fetch(`${server.url}/r4/Patient/${id}/_history/1`);
    assert.equal(vread.status, 200);
    const unknown = await fetch(`${server.url}/r4/Patient/nope`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
    assert.equal(((await unknown.json()) as AnyJson).resourceType, 'OperationOutcome');
    assert.equal((await fetch(`${server.url}/r4/Patient/${id}/_history/9`)).status, 404);
  });

  it('updates with a new version, and creates by update when allowed (201)', async () => {
    const { id } = await created();
    const updated = await put(`${server.url}/r4/Patient/${id}`, patient({ id, gender: 'female' }));
    assert.equal(updated.status, 200);
    assert.equal(updated.headers.get('etag'), 'W/"2"');
    assert.equal(((await updated.json()) as AnyJson).gender, 'female');
    const upsert = await put(`${server.url}/r4/Patient/chosen-1`, patient({ id: 'chosen-1' }));
    assert.equal(upsert.status, 201);
    assert.equal(upsert.headers.get('location'), `${server.url}/r4/Patient/chosen-1/_history/1`);
  });

  it('refuses update-as-create when configured off (405)', async () => {
    await server.stop();
    server = await startTestServer({ handler: { updateCreate: false } });
    const response = await put(`${server.url}/r4/Patient/chosen-2`, patient({ id: 'chosen-2' }));
    assert.equal(response.status, 405);
    assert.equal(((await response.json()) as AnyJson).resourceType, 'OperationOutcome');
  });

  it('checks If-Match: the current version updates, another one is 412', async () => {
    const { id } = await created();
    const stale = await put(`${server.url}/r4/Patient/${id}`, patient({ id }), { 'if-match': 'W/"7"' });
    assert.equal(stale.status, 412);
    assert.equal(((await stale.json()) as AnyJson).issue[0].code, 'conflict');
    const fresh = await put(`${server.url}/r4/Patient/${id}`, patient({ id }), { 'if-match': 'W/"1"' });
    assert.equal(fresh.status, 200);
    const again = await put(`${server.url}/r4/Patient/${id}`, patient({ id }), { 'if-match': 'W/"1"' });
    assert.equal(again.status, 412);
  });

  it('deletes with 204, then reads 410 Gone, and vread of the old version still works', async () => {
    const { id } = await created();
    const deleted = await fetch(`${server.url}/r4/Patient/${id}`, { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    const gone = await fetch(`${server.url}/r4/Patient/${id}`);
    assert.equal(gone.status, 410);
    assert.equal(((await gone.json()) as AnyJson).resourceType, 'OperationOutcome');
    assert.equal((await fetch(`${server.url}/r4/Patient/${id}/_history/1`)).status, 200);
    assert.equal((await fetch(`${server.url}/r4/Patient/${id}`, { method: 'DELETE' })).status, 204);
  });

  it('answers instance, type and system history newest first, deletions without a resource', async () => {
    const { id } = await created();
    await put(`${server.url}/r4/Patient/${id}`, patient({ id, gender: 'other' }));
    await fetch(`${server.url}/r4/Patient/${id}`, { method: 'DELETE' });
    await post(`${server.url}/r4/Observation`, {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
    });
    const instance = (await (await fetch(`${server.url}/r4/Patient/${id}/_history`)).json()) as AnyJson;
    assert.equal(instance.type, 'history');
    assert.deepEqual(
      instance.entry.map((entry: { request: { method: string }; response: { etag: string } }) => [
        entry.request.method,
        entry.response.etag,
      ]),
      [
        ['DELETE', 'W/"3"'],
        ['PUT', 'W/"2"'],
        ['POST', 'W/"1"'],
      ],
    );
    assert.equal(instance.entry[0].resource, undefined);
    assert.equal(instance.entry[1].resource.gender, 'other');
    const type = (await (await fetch(`${server.url}/r4/Patient/_history`)).json()) as AnyJson;
    assert.equal(type.entry.length, 3);
    const system = (await (await fetch(`${server.url}/r4/_history?_count=2`)).json()) as AnyJson;
    assert.equal(system.entry.length, 2);
    assert.equal(system.entry[0].request.url, 'Observation');
  });

  it('creates conditionally with If-None-Exist: no match creates, one match returns it with 200', async () => {
    const first = await post(`${server.url}/r4/Patient`, patient(), { 'if-none-exist': '_id=none-such' });
    assert.equal(first.status, 201);
    const { id } = (await first.json()) as AnyJson;
    const second = await post(`${server.url}/r4/Patient`, patient(), {
      'if-none-exist': `Patient?_id=${id}`,
    });
    assert.equal(second.status, 200);
    assert.equal(((await second.json()) as AnyJson).id, id);
    const search = (await (await fetch(`${server.url}/r4/Patient`)).json()) as AnyJson;
    assert.equal(search.total, 1, 'no second patient was created');
  });

  it('honours Prefer: return=minimal and return=OperationOutcome', async () => {
    const minimal = await post(`${server.url}/r4/Patient`, patient(), { prefer: 'return=minimal' });
    assert.equal(minimal.status, 201);
    assert.equal(await minimal.text(), '');
    assert.ok(minimal.headers.get('location'));
    const outcome = await post(`${server.url}/r4/Patient`, patient(), { prefer: 'return=OperationOutcome' });
    assert.equal(((await outcome.json()) as AnyJson).resourceType, 'OperationOutcome');
  });

  it('negotiates the format: _format and Accept JSON forms pass, others are 406', async () => {
    const { id } = await created();
    const ok = await fetch(`${server.url}/r4/Patient/${id}?_format=json`, {
      headers: { accept: 'application/xml' },
    });
    assert.equal(ok.status, 200, '_format overrides Accept');
    assert.equal(
      (await fetch(`${server.url}/r4/Patient/${id}`, { headers: { accept: FHIR_JSON } })).status,
      200,
    );
    const xml = await fetch(`${server.url}/r4/Patient/${id}?_format=xml`);
    assert.equal(xml.status, 406);
    assert.equal(((await xml.json()) as AnyJson).resourceType, 'OperationOutcome');
    assert.equal(
      (await fetch(`${server.url}/r4/Patient/${id}`, { headers: { accept: 'application/fhir+xml' } })).status,
      406,
    );
  });

  it('serves the same stored JSON on each version with that version content type', async () => {
    const { id } = await created();
    const dstu2 = await fetch(`${server.url}/dstu2/Patient/${id}`);
    assert.equal(dstu2.status, 200);
    assert.equal(dstu2.headers.get('content-type'), 'application/json+fhir; charset=utf-8');
    assert.equal(((await dstu2.json()) as AnyJson).id, id);
  });

  it('echoes a sane X-Request-Id, generates one otherwise, and sends no X-Powered-By', async () => {
    const echoed = await fetch(`${server.url}/r4/metadata`, { headers: { 'x-request-id': 'abc-123' } });
    assert.equal(echoed.headers.get('x-request-id'), 'abc-123');
    assert.equal(echoed.headers.get('x-powered-by'), null);
    const generated = await fetch(`${server.url}/r4/metadata`, {
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('keeps writes across a restart of the store', async () => {
    const { id } = await created();
    const dir = server.dir;
    await server.stop(true);
    server = await startTestServer({ dir });
    assert.equal((await fetch(`${server.url}/r4/Patient/${id}`)).status, 200);
  });
});
