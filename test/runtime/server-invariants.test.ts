/**
 * The server checks invariants with the real generated bindings: a create, update, patch result or
 * transaction entry that breaks a constraint is refused with 422 and the OperationOutcome and stores
 * nothing; `$validate` reports errors and warnings; a handler with invariants off accepts it.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { VersionBinding } from '../../src/runtime/binding';
import { createFhirApp } from '../../src/runtime/express/adapter';
import { createFhirHandler } from '../../src/runtime/http/handler';
import { SqliteStore } from '../../src/runtime/store/sqlite-store';
import { storeServices } from '../../src/runtime/store/store-service';
import { generatedBinding } from './fixtures/generated';
import { type AnyJson, post } from './fixtures/server';

const div = '<div xmlns="http://www.w3.org/1999/xhtml"><p>Weight</p></div>';
const observation = (extra: AnyJson = {}) => ({
  resourceType: 'Observation',
  text: { status: 'generated', div },
  status: 'final',
  code: { text: 'weight' },
  valueQuantity: { value: 70, unit: 'kg' },
  ...extra,
});
const OBS_6 = 'obs-6: dataAbsentReason SHALL only be present if Observation.value[x] is not present';

describe('runtime server: invariants on writes and $validate', function () {
  this.timeout(120_000);
  let url: string;
  let close: () => Promise<void>;
  let binding: VersionBinding;
  let store: SqliteStore;

  before(async () => {
    binding = generatedBinding('r4');
    store = new SqliteStore({ location: ':memory:' });
    const handler = (invariants: boolean) =>
      createFhirHandler({
        binding,
        services: storeServices(store, binding.resourceTypes),
        transactions: store,
        invariants,
      });
    const app = createFhirApp({
      versions: [
        { basePath: '/r4', handler: handler(true) },
        { basePath: '/legacy', handler: handler(false) },
      ],
      limits: { maxBytes: 1024 * 1024, maxDepth: 64 },
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    };
  });
  after(() => close());

  const count = async (base: string) =>
    ((await (await fetch(`${url}/${base}/Observation?_summary=count`)).json()) as AnyJson).total as number;

  it('create: 422 with the invariant issue, nothing stored; a valid one is created', async () => {
    const before = await count('r4');
    const refused = await post(
      `${url}/r4/Observation`,
      observation({ dataAbsentReason: { text: 'unknown' } }),
    );
    assert.equal(refused.status, 422);
    assert.deepEqual(((await refused.json()) as AnyJson).issue, [
      { severity: 'error', code: 'invariant', diagnostics: OBS_6, expression: ['Observation'] },
    ]);
    assert.equal(await count('r4'), before);
    assert.equal((await post(`${url}/r4/Observation`, observation())).status, 201);
  });

  it('update and patch results are checked too', async () => {
    const created = (await (await post(`${url}/r4/Observation`, observation())).json()) as AnyJson;
    const put = await fetch(`${url}/r4/Observation/${created.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ ...created, dataAbsentReason: { text: 'unknown' } }),
    });
    assert.equal(put.status, 422);
    const patch = await fetch(`${url}/r4/Observation/${created.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'add', path: '/dataAbsentReason', value: { text: 'unknown' } }]),
    });
    assert.equal(patch.status, 422);
    assert.match(((await patch.json()) as AnyJson).issue[0].diagnostics, /^obs-6: /);
    const read = (await (await fetch(`${url}/r4/Observation/${created.id}`)).json()) as AnyJson;
    assert.equal(read.dataAbsentReason, undefined);
  });

  it('a transaction whose entry breaks an invariant is refused whole', async () => {
    const before = await count('r4');
    const response = await post(`${url}/r4`, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: observation(), request: { method: 'POST', url: 'Observation' } },
        {
          resource: observation({ dataAbsentReason: { text: 'x' } }),
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    });
    assert.equal(response.status, 422);
    assert.equal(await count('r4'), before);
  });

  it('$validate reports the error and the warnings (dom-6), with 200', async () => {
    const { text: _text, ...noNarrative } = observation({ dataAbsentReason: { text: 'unknown' } });
    const response = await post(`${url}/r4/Observation/$validate`, noNarrative);
    assert.equal(response.status, 200);
    const issues = ((await response.json()) as AnyJson).issue as AnyJson[];
    assert.deepEqual(
      issues.map((entry) => `${entry.severity} ${entry.diagnostics.split(':')[0]}`),
      ['error obs-6', 'warning dom-6'],
    );
  });

  it('with invariants off, the same Observation is stored', async () => {
    const accepted = await post(
      `${url}/legacy/Observation`,
      observation({ dataAbsentReason: { text: 'unknown' } }),
    );
    assert.equal(accepted.status, 201);
  });
});
