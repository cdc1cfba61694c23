import assert from 'node:assert/strict';
import { type AnyJson, startTestServer, type TestServer } from './fixtures/server';

/**
 * How the adapter's mounts route a URL to its version: below the base path (the base itself, a
 * path, a query), Express's case-insensitive matching, and a path that only starts like a base.
 */
describe('runtime http: requests reach their version by its base path', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  const get = async (path: string) => {
    const response = await fetch(`${server.url}${path}`);
    return { status: response.status, json: (await response.json()) as AnyJson, headers: response.headers };
  };

  it('serves each version below its own base path, with the version media type', async () => {
    const r4 = await get('/r4/metadata');
    assert.equal(r4.status, 200);
    assert.equal(r4.json.fhirVersion, '4.0.1');
    const dstu2 = await get('/dstu2/metadata?_format=json');
    assert.equal(dstu2.status, 200);
    assert.match(dstu2.headers.get('content-type') ?? '', /^application\/json\+fhir/);
  });

  it('answers the base itself as the base (a GET there is 405: it takes POST of a Bundle)', async () => {
    for (const path of ['/r4', '/r4/', '/r4?_format=json']) {
      const { status, json, headers } = await get(path);
      assert.equal(status, 405, path);
      assert.equal(json.resourceType, 'OperationOutcome');
      assert.equal(headers.get('allow'), 'POST');
    }
  });

  it('matches base paths without regard to letter case, as Express mounts do', async () => {
    const upper = await get('/R4/metadata');
    assert.equal(upper.status, 200);
    assert.equal(upper.json.fhirVersion, '4.0.1');
  });

  it('does not take a path that only starts with a base path for one below it', async () => {
    const { status, json } = await get('/r4x/metadata');
    assert.equal(status, 404);
    assert.match(json.issue[0].diagnostics, /No FHIR endpoint at \/r4x\/metadata/);
  });

  it('creates and reads below the base with request id, Location, ETag and Last-Modified', async () => {
    const created = await fetch(`${server.url}/r4/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', 'x-request-id': 'dispatch-1' },
      body: JSON.stringify({ resourceType: 'Patient', gender: 'female' }),
    });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('x-request-id'), 'dispatch-1');
    const location = created.headers.get('location') ?? '';
    assert.match(location, new RegExp(`^${server.url}/r4/Patient/[^/]+/_history/1$`));
    const read = await fetch(location.replace(/\/_history\/1$/, ''));
    assert.equal(read.status, 200);
    assert.equal(read.headers.get('etag'), 'W/"1"');
    assert.ok(read.headers.get('last-modified'));
    assert.match(read.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });
});
