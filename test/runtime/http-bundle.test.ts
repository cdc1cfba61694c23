import assert from 'node:assert/strict';
import type { ServiceMap } from '../../src/runtime/service';
import { type AnyJson, patient, post, startTestServer, type TestServer } from './fixtures/server';

/** The default services, with Patient creates that first wait for `wait()`, as a service calling a database would. */
function patientCreatesAfter(wait: () => Promise<unknown>): (defaults: ServiceMap) => ServiceMap {
  return (defaults) => ({
    ...defaults,
    Patient: {
      ...defaults.Patient,
      create: async (resource, ctx) => {
        await wait();
        return defaults.Patient?.create?.(resource, ctx) ?? resource;
      },
    },
  });
}

interface ResponseEntry {
  resource?: { resourceType: string; id: string; subject?: { reference: string } };
  response: {
    status: string;
    location?: string;
    etag?: string;
    outcome?: { issue: { diagnostics: string }[] };
  };
}

describe('runtime http: batch and transaction Bundles', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => {
    await server.stop();
  });

  async function count(type: string): Promise<number> {
    return ((await (await fetch(`${server.url}/r4/${type}`)).json()) as AnyJson).total;
  }

  it('runs a transaction all together, rewriting urn:uuid references to the created ids', async () => {
    const kept = (await (await post(`${server.url}/r4/Patient`, patient())).json()) as AnyJson;
    const removed = (await (await post(`${server.url}/r4/Patient`, patient())).json()) as AnyJson;
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:0b6b2d9a-4d0e-4a36-9c1e-3a6bb4f1c001',
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'weight' },
            subject: { reference: 'urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a' },
          },
          request: { method: 'POST', url: 'Observation' },
        },
        {
          fullUrl: 'urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a',
          resource: patient({ gender: 'female' }),
          request: { method: 'POST', url: 'Patient' },
        },
        { request: { method: 'GET', url: `Patient/${kept.id}` } },
        { request: { method: 'DELETE', url: `${server.url}/r4/Patient/${removed.id}` } },
      ],
    };
    const response = await post(`${server.url}/r4`, bundle);
    assert.equal(response.status, 200);
    const body = (await response.json()) as AnyJson as { type: string; entry: ResponseEntry[] };
    assert.equal(body.type, 'transaction-response');
    const [observation, created, read, deleted] = body.entry as [
      ResponseEntry,
      ResponseEntry,
      ResponseEntry,
      ResponseEntry,
    ];
    assert.equal(observation.response.status, '201 Created');
    assert.equal(created.response.status, '201 Created');
    assert.equal(observation.resource?.subject?.reference, `Patient/${created.resource?.id}`);
    assert.match(created.response.location ?? '', /\/r4\/Patient\/[^/]+\/_history\/1$/);
    assert.equal(read.response.status, '200 OK');
    assert.equal(read.resource?.id, kept.id);
    assert.equal(deleted.response.status, '204 No Content');
    assert.equal((await fetch(`${server.url}/r4/Patient/${removed.id}`)).status, 410);
    const stored = (await (
      await fetch(`${server.url}/r4/Observation/${observation.resource?.id}`)
    ).json()) as AnyJson;
    assert.equal(stored.subject.reference, `Patient/${created.resource?.id}`);
  });

  it('rolls a transaction back entirely when one entry fails, answering with that entry status', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: patient(), request: { method: 'POST', url: 'Patient' } },
        {
          resource: { resourceType: 'Observation', status: 'final', code: {} },
          request: { method: 'POST', url: 'Observation' },
        },
        { resource: patient({ gender: 'robot' }), request: { method: 'POST', url: 'Patient' } },
      ],
    };
    const response = await post(`${server.url}/r4`, bundle);
    assert.equal(response.status, 400);
    const body = (await response.json()) as AnyJson;
    assert.equal(body.resourceType, 'OperationOutcome');
    assert.match(body.issue[0].diagnostics, /Bundle\.entry\[2\]: Patient.gender/);
    assert.equal(await count('Patient'), 0);
    assert.equal(await count('Observation'), 0);
    assert.equal(
      ((await (await fetch(`${server.url}/r4/_history`)).json()) as AnyJson).total,
      0,
      'no history left either',
    );
  });

  it('processes DELETE before GET (https://hl7.org/fhir/R4/http.html#trules), so reading what it deletes fails it', async () => {
    const target = (await (await post(`${server.url}/r4/Patient`, patient())).json()) as AnyJson;
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'GET', url: `Patient/${target.id}` } },
        { request: { method: 'DELETE', url: `Patient/${target.id}` } },
      ],
    };
    const response = await post(`${server.url}/r4`, bundle);
    assert.equal(response.status, 410);
    assert.match(((await response.json()) as AnyJson).issue[0].diagnostics, /^Bundle\.entry\[0\]/);
    assert.equal(
      (await fetch(`${server.url}/r4/Patient/${target.id}`)).status,
      200,
      'the delete was rolled back',
    );
  });

  it('runs batch entries independently: failures do not undo the others', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: patient(), request: { method: 'POST', url: 'Patient' } },
        { resource: patient({ gender: 'robot' }), request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient/unknown' } },
        { request: { method: 'GET', url: 'Spaceship/1' } },
      ],
    };
    const response = await post(`${server.url}/r4`, bundle);
    assert.equal(response.status, 200);
    const body = (await response.json()) as AnyJson as { type: string; entry: ResponseEntry[] };
    assert.equal(body.type, 'batch-response');
    assert.deepEqual(
      body.entry.map((entry) => entry.response.status),
      ['201 Created', '400 Bad Request', '404 Not Found', '404 Not Found'],
    );
    assert.ok(body.entry[1]?.response.outcome?.issue[0]?.diagnostics);
    assert.equal(await count('Patient'), 1);
  });

  it('applies a PATCH entry carried as a Binary, and checks ifMatch on entries', async () => {
    const created = (await (await post(`${server.url}/r4/Patient`, patient())).json()) as AnyJson;
    const data = Buffer.from(JSON.stringify([{ op: 'replace', path: '/gender', value: 'other' }])).toString(
      'base64',
    );
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        {
          resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data },
          request: { method: 'PATCH', url: `Patient/${created.id}` },
        },
        {
          resource: patient({ id: created.id }),
          request: { method: 'PUT', url: `Patient/${created.id}`, ifMatch: 'W/"1"' },
        },
      ],
    };
    const body = (await (await post(`${server.url}/r4`, bundle)).json()) as AnyJson as {
      entry: ResponseEntry[];
    };
    assert.equal(body.entry[0]?.response.status, '200 OK');
    assert.equal(body.entry[0]?.response.etag, 'W/"2"');
    assert.equal(body.entry[1]?.response.status, '412 Precondition Failed');
    assert.equal(
      ((await (await fetch(`${server.url}/r4/Patient/${created.id}`)).json()) as AnyJson).gender,
      'other',
    );
  });

  it('refuses what is not a batch or transaction, nested bundles and oversized bundles', async () => {
    assert.equal(
      (await post(`${server.url}/r4`, { resourceType: 'Bundle', type: 'collection' })).status,
      400,
    );
    assert.equal((await post(`${server.url}/r4`, patient())).status, 400);
    const nested = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [{ resource: { resourceType: 'Bundle', type: 'batch' }, request: { method: 'POST', url: '/' } }],
    };
    const nestedBody = (await (await post(`${server.url}/r4`, nested)).json()) as AnyJson;
    assert.equal(nestedBody.entry[0].response.status, '400 Bad Request');
    await server.stop();
    server = await startTestServer({ handler: { maxBundleEntries: 2 } });
    const entry = { request: { method: 'GET', url: 'Patient' } };
    const big = await post(`${server.url}/r4`, {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [entry, entry, entry],
    });
    assert.equal(big.status, 413);
  });

  it('lets other requests go on during a transaction when the store isolates transactions itself', async () => {
    await server.stop();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const calls: string[] = [];
    server = await startTestServer({
      r4Services: patientCreatesAfter(() => gate),
      // As the PostgreSQL store: each transaction on a connection of its own.
      handler: {
        transactions: {
          async inTransaction(work) {
            calls.push('begin');
            const result = await work();
            calls.push('commit');
            return result;
          },
          begin: () => void calls.push('begin without inTransaction'),
          commit: () => void calls.push('commit without inTransaction'),
          rollback: () => void calls.push('rollback'),
        },
      },
    });
    const transaction = post(`${server.url}/r4`, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: patient(), request: { method: 'POST', url: 'Patient' } }],
    });
    while (!calls.includes('begin')) await new Promise((resolve) => setTimeout(resolve, 5));
    // The transaction waits on its service; a search on the same handler answers meanwhile.
    const search = await fetch(`${server.url}/r4/Patient`);
    assert.equal(search.status, 200);
    assert.deepEqual(calls, ['begin']);
    release();
    assert.equal((await transaction).status, 200);
    assert.deepEqual(calls, ['begin', 'commit']);
  });

  it('keeps other requests out while a transaction is open, on every version sharing the store', async () => {
    await server.stop();
    // Creates that wait on a timer, as a service calling a database would, so entries interleave with other requests.
    server = await startTestServer({
      r4Services: patientCreatesAfter(() => new Promise((resolve) => setTimeout(resolve, 2))),
    });
    const entries = Array.from({ length: 20 }, () => ({
      resource: patient(),
      request: { method: 'POST', url: 'Patient' },
    }));
    const transaction = post(`${server.url}/r4`, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: entries,
    });
    const totals: number[] = [];
    const reads = Array.from({ length: 10 }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 3));
      const version = i % 2 === 0 ? 'r4' : 'dstu2';
      const search = (await (await fetch(`${server.url}/${version}/Patient?_count=100`)).json()) as AnyJson;
      totals.push(search.total);
    });
    const [done] = await Promise.all([transaction, ...reads]);
    assert.equal(done.status, 200);
    for (const total of totals) assert.ok(total === 0 || total === 20, `saw ${total} patients`);
  });
});
