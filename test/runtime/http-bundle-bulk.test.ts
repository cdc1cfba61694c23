/**
 * Bundles of a thousand entries on both stores (https://hl7.org/fhir/R4/http.html#transaction): a
 * transaction, all or nothing, and a batch whose entries fail alone
 * (https://hl7.org/fhir/R4/http.html#brules), each applied in one store transaction.
 */
import assert from 'node:assert/strict';
import { createFhirHandler, type FhirHandler } from '../../src/runtime/http/handler';
import type { TransactionControl } from '../../src/runtime/http/settings';
import type { FhirRequest } from '../../src/runtime/http/types';
import { storeServices } from '../../src/runtime/store/store-service';
import { r4Binding } from './fixtures/binding';
import { patient } from './fixtures/server';
import { type OpenedStore, STORE_BACKENDS } from './fixtures/stores';

const BASE = 'http://fhir.test/r4';

function postBundle(body: unknown): FhirRequest {
  return {
    method: 'POST',
    path: '/',
    query: [],
    headers: { 'content-type': 'application/fhir+json' },
    body,
    baseUrl: BASE,
    requestId: 'bulk',
  };
}

interface ResponseBundle {
  type: string;
  entry: { response: { status: string; location?: string } }[];
  issue?: unknown[];
}

/** The id a response entry's location names (`Patient/<id>/_history/1`). */
function idOf(entry: ResponseBundle['entry'][number] | undefined): string {
  return (entry?.response.location ?? '').split('/').at(-3) as string;
}

/** The store's transaction control, counting the transactions the Bundles open. */
function counted(store: TransactionControl) {
  const counts = { transactions: 0 };
  const control: TransactionControl = {
    begin: () => {
      counts.transactions += 1;
      return store.begin();
    },
    commit: () => store.commit(),
    rollback: () => store.rollback(),
  };
  if (store.inTransaction !== undefined) {
    const inner = store.inTransaction.bind(store);
    control.inTransaction = (work) => {
      counts.transactions += 1;
      return inner(work);
    };
  }
  return { control, counts };
}

/** 500 Patients and 500 Observations, each Observation referring to its Patient by `urn:uuid:`. */
function thousandEntries(): { fullUrl?: string; resource: unknown; request: Record<string, string> }[] {
  return Array.from({ length: 500 }).flatMap((_, i) => {
    const fullUrl = `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    return [
      {
        fullUrl,
        resource: patient({ birthDate: '1970-01-01' }),
        request: { method: 'POST', url: 'Patient' },
      },
      {
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { text: `weight ${i}` },
          subject: { reference: fullUrl },
        },
        request: { method: 'POST', url: 'Observation' },
      },
    ];
  });
}

for (const backend of STORE_BACKENDS) {
  describe(`runtime http: Bundles of 1,000 entries on ${backend.name}`, function () {
    this.timeout(120_000);
    let opened: OpenedStore;
    let handler: FhirHandler;
    let counts: { transactions: number };
    beforeEach(async () => {
      opened = await backend.open();
      const made = counted(opened.store);
      counts = made.counts;
      handler = createFhirHandler({
        binding: r4Binding,
        services: storeServices(opened.store, ['Patient', 'Observation']),
        transactions: made.control,
        maxBundleEntries: 1000,
      });
    });
    afterEach(() => opened.close());

    it('applies a transaction of 1,000 entries in one store transaction, references rewritten', async () => {
      const writesBefore = opened.store.commits.writes;
      const response = await handler.handle(
        postBundle({ resourceType: 'Bundle', type: 'transaction', entry: thousandEntries() }),
      );
      assert.equal(response.status, 200, JSON.stringify(response.body).slice(0, 300));
      const body = response.body as ResponseBundle;
      assert.equal(body.entry.length, 1000);
      assert.ok(body.entry.every((entry) => entry.response.status === '201 Created'));
      assert.equal(counts.transactions, 1, 'one store transaction');
      assert.equal(opened.store.commits.writes, writesBefore, 'no write went through a commit of its own');
      for (const [i, entry] of body.entry.entries()) {
        const id = idOf(entry);
        const stored = await opened.store.read(i % 2 === 0 ? 'Patient' : 'Observation', id);
        if (i % 2 === 1) {
          assert.equal(
            (stored.subject as { reference: string }).reference,
            `Patient/${idOf(body.entry[i - 1])}`,
          );
        }
      }
    });

    it('writes nothing of a transaction of 1,000 entries whose last entry fails', async () => {
      const entry = thousandEntries();
      entry[999] = { resource: patient({ gender: 'robot' }), request: { method: 'POST', url: 'Patient' } };
      const response = await handler.handle(
        postBundle({ resourceType: 'Bundle', type: 'transaction', entry }),
      );
      assert.equal(response.status, 400);
      assert.deepEqual(await opened.store.history(undefined, {}), [], 'all rolled back');
    });

    it('applies a batch of 1,000 entries in one store transaction, failing entries alone', async () => {
      await opened.store.create('Patient', { ...patient(), resourceType: 'Patient', id: 'existing' });
      const entry = Array.from({ length: 1000 }, (_, i) => ({
        resource: patient({ birthDate: `19${String(i % 100).padStart(2, '0')}-01-01` }),
        request: { method: 'POST', url: 'Patient' },
      })) as { resource: unknown; request: Record<string, string> }[];
      entry[300] = { resource: patient({ gender: 'robot' }), request: { method: 'POST', url: 'Patient' } };
      entry[600] = {
        resource: patient({ id: 'existing' }),
        request: { method: 'PUT', url: 'Patient/existing', ifMatch: 'W/"9"' },
      };
      entry[900] = {
        resource: patient({ id: 'existing' }),
        request: { method: 'PUT', url: 'Patient/existing' },
      };
      const response = await handler.handle(postBundle({ resourceType: 'Bundle', type: 'batch', entry }));
      assert.equal(response.status, 200);
      const body = response.body as ResponseBundle;
      const statuses = body.entry.map((item) => item.response.status);
      assert.deepEqual(
        statuses,
        statuses.map((_, i) =>
          i === 300
            ? '400 Bad Request'
            : i === 600
              ? '412 Precondition Failed'
              : i === 900
                ? '200 OK'
                : '201 Created',
        ),
      );
      assert.equal(counts.transactions, 1, 'one store transaction');
      for (const item of body.entry) {
        if (item.response.status === '201 Created') await opened.store.read('Patient', idOf(item));
      }
      assert.equal((await opened.store.read('Patient', 'existing')).meta?.versionId, '2');
    });
  });
}
