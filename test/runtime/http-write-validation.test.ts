import assert from 'node:assert/strict';
import { createFhirHandler } from '../../src/runtime/http/handler';
import { bodyText } from '../../src/runtime/http/json-text';
import type { FhirRequest, FhirResponse } from '../../src/runtime/http/types';
import type { ResourceService, ServiceMap } from '../../src/runtime/service';
import { SqliteStore } from '../../src/runtime/store/sqlite-store';
import { storeService } from '../../src/runtime/store/store-service';
import { countingBinding } from './fixtures/counting';
import { generatedBinding } from './fixtures/generated';
import { type AnyJson, patient } from './fixtures/server';

const BASE = 'http://fhir.test/r4';

function write(method: 'POST' | 'PUT', path: string, body: unknown): FhirRequest {
  return {
    method,
    path,
    query: [],
    headers: { 'content-type': 'application/fhir+json' },
    body,
    baseUrl: BASE,
    requestId: 't',
  };
}

function json(response: FhirResponse): AnyJson {
  return JSON.parse(bodyText(response.body)) as AnyJson;
}

describe("runtime http: creates and updates through storeService's own methods validate the input once", () => {
  const r4 = generatedBinding('r4');

  /** Validations per request for a create and an update through the given services. */
  async function validationsPerWrite(services: (store: SqliteStore) => ServiceMap) {
    const store = new SqliteStore({ location: ':memory:' });
    const { binding, validations } = countingBinding(r4);
    const handler = createFhirHandler({ binding, services: services(store) });
    const before = validations();
    const created = await handler.handle(write('POST', '/Patient', patient()));
    assert.equal(created.status, 201, `create answered ${bodyText(created.body)}`);
    const afterCreate = validations();
    const updated = await handler.handle(write('PUT', '/Patient/u1', patient({ id: 'u1' })));
    assert.equal(updated.status, 201, `update answered ${bodyText(updated.body)}`);
    await store.close();
    return { create: afterCreate - before, update: validations() - afterCreate };
  }

  it('runs the validator once per create and update when the methods are storeService’s own', async () => {
    const counts = await validationsPerWrite((store) => ({ Patient: storeService(store, 'Patient') }));
    assert.equal(counts.create, 1, 'a create validates its input only');
    assert.equal(counts.update, 1, 'an update validates its input only');
  });

  it('still validates the result of wrapped methods', async () => {
    const counts = await validationsPerWrite((store) => {
      const inner = storeService(store, 'Patient');
      const wrapped: ResourceService = {
        ...inner,
        create: (resource, ctx) => inner.create?.(resource, ctx),
        update: (id, resource, ctx, options) => inner.update?.(id, resource, ctx, options),
      } as ResourceService;
      return { Patient: wrapped };
    });
    assert.equal(counts.create, 2, 'a wrapped create validates its input and its result');
    assert.equal(counts.update, 2, 'a wrapped update validates its input and its result');
  });

  it('still validates the result when the store’s write methods were replaced on the instance', async () => {
    const counts = await validationsPerWrite((store) => {
      const create = store.create.bind(store);
      const update = store.update.bind(store);
      store.create = (resourceType, resource) => create(resourceType, resource);
      store.update = (resourceType, id, resource, options) => update(resourceType, id, resource, options);
      return { Patient: storeService(store, 'Patient') };
    });
    assert.equal(counts.create, 2, 'a create through an altered store validates its result');
    assert.equal(counts.update, 2, 'an update through an altered store validates its result');
  });

  it('keeps the wrong-type check for a storeService method put on another type', async () => {
    const store = new SqliteStore({ location: ':memory:' });
    const observations = storeService(store, 'Observation');
    const handler = createFhirHandler({
      binding: r4,
      services: { Patient: { create: observations.create, update: observations.update } },
    });
    for (const request of [
      write('POST', '/Patient', patient()),
      write('PUT', '/Patient/m1', patient({ id: 'm1' })),
    ]) {
      const response = await handler.handle(request);
      assert.equal(response.status, 500, `${request.method} through a misplaced method is a 500`);
      assert.match(
        bodyText(response.body),
        /R4 Patient service \((create|update)\) returned a Observation where a Patient was expected/,
        'the answer names the service and the wrong type',
      );
    }
    await store.close();
  });

  it('answers 500 naming the service when a create of its own returns an invalid resource', async () => {
    const handler = createFhirHandler({
      binding: r4,
      services: {
        Patient: { create: (resource) => ({ ...resource, id: 'x1', gender: 'not-a-gender' }) },
      },
    });
    const response = await handler.handle(write('POST', '/Patient', patient()));
    assert.equal(response.status, 500, 'an invalid result is the server’s fault');
    assert.match(
      bodyText(response.body),
      /R4 Patient service \(create\) returned an invalid Patient/,
      'the answer names the service',
    );
  });

  it('answers with the same body and headers as a validated write', async () => {
    const store = new SqliteStore({ location: ':memory:' });
    const own = storeService(store, 'Patient');
    const wrapped = {
      ...own,
      create: (resource, ctx) => own.create?.(resource, ctx),
      update: (id, resource, ctx, options) => own.update?.(id, resource, ctx, options),
    } as ResourceService;
    const direct = createFhirHandler({ binding: r4, services: { Patient: own } });
    const checked = createFhirHandler({ binding: r4, services: { Patient: wrapped } });
    const body = patient({ id: 'client-chosen', meta: { tag: [{ code: 't' }], versionId: '9' } });

    const answers = [];
    for (const handler of [direct, checked]) {
      const created = await handler.handle(write('POST', '/Patient', body));
      const id = json(created).id as string;
      const updated = await handler.handle(write('PUT', `/Patient/${id}`, { ...body, id, gender: 'female' }));
      answers.push({ id, created, updated });
    }
    for (const { id, created, updated } of answers) {
      for (const [response, status, version] of [
        [created, 201, '1'],
        [updated, 200, '2'],
      ] as const) {
        assert.equal(response.status, status, `status ${status} for version ${version}`);
        const sent = json(response);
        const stored: unknown = store.vread('Patient', id, version);
        assert.deepEqual(stored, sent, 'the body is the stored version');
        assert.deepEqual(sent.meta.tag, [{ code: 't' }], 'the incoming meta is kept');
        assert.equal(response.headers.ETag, `W/"${version}"`, 'ETag names the version');
        assert.equal(
          response.headers['Last-Modified'],
          new Date(sent.meta.lastUpdated).toUTCString(),
          'Last-Modified is meta.lastUpdated',
        );
        const location = status === 201 ? `${BASE}/Patient/${id}/_history/1` : undefined;
        assert.equal(response.headers.Location, location, 'Location on create only');
      }
    }
    const [a, b] = answers;
    assert.ok(a !== undefined && b !== undefined, 'two answers');
    for (const key of ['created', 'updated'] as const) {
      assert.deepEqual(
        Object.keys(a[key].headers).sort(),
        Object.keys(b[key].headers).sort(),
        `the same headers on ${key}`,
      );
      const bodyOf = (response: FhirResponse) => {
        const { id: _id, meta, ...rest } = json(response);
        return { ...rest, versionId: meta.versionId, tag: meta.tag };
      };
      assert.deepEqual(bodyOf(a[key]), bodyOf(b[key]), `the same body on ${key}, but for id and instant`);
    }
    await store.close();
  });
});
