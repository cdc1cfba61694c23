import assert from 'node:assert/strict';
import { FhirHttpError } from '../../src/runtime/outcome';
import {
  type AnyJson,
  FHIR_JSON,
  patient,
  post,
  put,
  startTestServer,
  type TestServer,
} from './fixtures/server';

async function outcome(
  response: Response,
): Promise<{ resourceType: string; issue: { diagnostics?: string; code: string }[] }> {
  assert.match(
    response.headers.get('content-type') ?? '',
    /^application\/(fhir\+json|json\+fhir); charset=utf-8$/,
  );
  const body = (await response.json()) as AnyJson;
  assert.equal(body.resourceType, 'OperationOutcome');
  return body;
}

describe('runtime http: every error is an OperationOutcome with the FHIR status', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      maxBytes: 64 * 1024,
      // Unknown properties in a result are dropped and logged by default; this server refuses them.
      handler: { droppedProperties: 'reject' },
      r4Services: (defaults) => ({
        ...defaults,
        Observation: {
          read: () => ({ resourceType: 'Patient', id: 'x' }),
          vread: () => ({ resourceType: 'Observation', id: 'x', status: 'final', code: {}, secret: 'leak' }),
          search: () => {
            throw new Error('database password is hunter2');
          },
          create: () => ({ resourceType: 'Observation', id: 'x', code: {} }),
        },
      }),
    });
  });
  after(async () => {
    await server.stop();
  });

  it('malformed JSON is 400', async () => {
    const response = await fetch(`${server.url}/r4/Patient`, {
      method: 'POST',
      headers: { 'content-type': FHIR_JSON },
      body: '{"resourceType":',
    });
    assert.equal(response.status, 400);
    await outcome(response);
  });

  it('accepts application/json and application/fhir+json, refuses other content types with 415', async () => {
    const json = await fetch(`${server.url}/r4/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(patient()),
    });
    assert.equal(json.status, 201);
    const text = await fetch(`${server.url}/r4/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(patient()),
    });
    assert.equal(text.status, 415);
    await outcome(text);
    const dstu2Only = await fetch(`${server.url}/r4/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/json+fhir' },
      body: JSON.stringify(patient()),
    });
    assert.equal(dstu2Only.status, 415, 'application/json+fhir is DSTU2 only');
    const dstu2 = await fetch(`${server.url}/dstu2/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/json+fhir' },
      body: JSON.stringify(patient()),
    });
    assert.equal(dstu2.status, 201);
  });

  it('a body over the limit is 413', async () => {
    const big = patient({ name: [{ family: 'x'.repeat(80 * 1024) }] });
    const response = await post(`${server.url}/r4/Patient`, big);
    assert.equal(response.status, 413);
    await outcome(response);
  });

  it('__proto__, constructor and prototype keys are 400, and Object.prototype stays clean', async () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const body = `{"resourceType":"Patient","name":[{"${key}":{"polluted":true}}]}`;
      const response = await fetch(`${server.url}/r4/Patient`, {
        method: 'POST',
        headers: { 'content-type': FHIR_JSON },
        body,
      });
      assert.equal(response.status, 400, key);
      await outcome(response);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('nesting deeper than the bound is 400', async () => {
    const body = `{"resourceType":"Patient","extension":${'['.repeat(100)}${']'.repeat(100)}}`;
    const response = await fetch(`${server.url}/r4/Patient`, {
      method: 'POST',
      headers: { 'content-type': FHIR_JSON },
      body,
    });
    assert.equal(response.status, 400);
    assert.match((await outcome(response)).issue[0]?.diagnostics ?? '', /nests deeper/);
  });

  it('a resource of another type than the route is 400, and nothing is stored', async () => {
    const total = async () => ((await (await fetch(`${server.url}/r4/Patient`)).json()) as AnyJson).total;
    const before = await total();
    const response = await post(`${server.url}/r4/Patient`, {
      resourceType: 'Observation',
      status: 'final',
      code: {},
    });
    assert.equal(response.status, 400);
    await outcome(response);
    assert.equal(await total(), before);
  });

  it('an invalid resource is 400 with the validator issues', async () => {
    const response = await post(`${server.url}/r4/Patient`, patient({ gender: 'robot', colour: 'blue' }));
    assert.equal(response.status, 400);
    const body = await outcome(response);
    const text = body.issue.map((entry) => entry.diagnostics).join('\n');
    assert.match(text, /Patient.gender/);
    assert.match(text, /Patient.colour/);
  });

  it('an update whose body id differs from the URL (or is missing) is 400', async () => {
    assert.equal((await put(`${server.url}/r4/Patient/a1`, patient({ id: 'b2' }))).status, 400);
    assert.equal((await put(`${server.url}/r4/Patient/a1`, patient())).status, 400);
  });

  it('unknown resource types and paths are 404, invalid ids 400', async () => {
    const unknownType = await fetch(`${server.url}/r4/Spaceship/1`);
    assert.equal(unknownType.status, 404);
    await outcome(unknownType);
    assert.equal((await fetch(`${server.url}/nowhere`)).status, 404);
    assert.equal((await fetch(`${server.url}/r4/Patient/${'x'.repeat(65)}`)).status, 400);
  });

  it('an interaction the path does not take is 405 with Allow, and one the service lacks is 405', async () => {
    const wrongMethod = await fetch(`${server.url}/r4/metadata`, { method: 'DELETE' });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'GET');
    await outcome(wrongMethod);
    const notImplemented = await fetch(`${server.url}/r4/Observation/x`, { method: 'DELETE' });
    assert.equal(notImplemented.status, 405);
    await outcome(notImplemented);
  });

  it('a service result of the wrong type, with unknown properties or invalid, is 500 naming the service', async () => {
    const wrongType = await fetch(`${server.url}/r4/Observation/x`);
    assert.equal(wrongType.status, 500);
    assert.match(
      (await outcome(wrongType)).issue[0]?.diagnostics ?? '',
      /R4 Observation service \(read\) returned a Patient/,
    );
    const extra = await fetch(`${server.url}/r4/Observation/x/_history/1`);
    assert.equal(extra.status, 500);
    assert.match((await outcome(extra)).issue[0]?.diagnostics ?? '', /\(vread\).*Observation\.secret/);
    const invalid = await post(`${server.url}/r4/Observation`, {
      resourceType: 'Observation',
      status: 'final',
      code: {},
    });
    assert.equal(invalid.status, 500);
    assert.match(
      (await outcome(invalid)).issue[0]?.diagnostics ?? '',
      /\(create\) returned an invalid Observation.*status is required/,
    );
  });

  it('an unexpected service failure is 500 without its message or a stack trace', async () => {
    const response = await fetch(`${server.url}/r4/Observation`);
    assert.equal(response.status, 500);
    const text = await response.text();
    assert.doesNotMatch(text, /hunter2|at .*\.ts:/);
    assert.equal(JSON.parse(text).issue[0].diagnostics, 'Internal server error');
  });

  it('FhirHttpError carries status, issues and headers', () => {
    const error = new FhirHttpError(405, 'no', { Allow: 'GET' });
    assert.equal(error.status, 405);
    assert.equal(error.issues[0]?.code, 'not-supported');
    assert.equal(error.headers.Allow, 'GET');
  });
});
