/**
 * The seams the security module plugs into: Express middleware before the FHIR handlers (app-wide
 * and per version) that puts a principal on `res.locals`, and the authorize hook, which sees every
 * interaction, batch and transaction entries included, and the principal with it.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Principal } from '../../src/runtime/contracts';
import { createFhirApp } from '../../src/runtime/express/adapter';
import { createFhirHandler } from '../../src/runtime/http/handler';
import type { InteractionInfo } from '../../src/runtime/http/settings';
import { FhirHttpError } from '../../src/runtime/outcome';
import { SqliteStore } from '../../src/runtime/store/sqlite-store';
import { storeServices } from '../../src/runtime/store/store-service';
import { r4Binding } from './fixtures/binding';
import { type AnyJson, patient, post } from './fixtures/server';

describe('runtime seams: middleware, principal and the authorize hook', () => {
  const seen: { info: InteractionInfo; subject: string | undefined }[] = [];
  const order: string[] = [];
  let url: string;
  let stop: () => Promise<void>;

  before(async () => {
    const store = new SqliteStore({ location: ':memory:' });
    const handler = createFhirHandler({
      binding: r4Binding,
      services: storeServices(store, ['Patient', 'Observation']),
      transactions: store,
      authorize: (info, request) => {
        seen.push({ info, subject: request.principal?.subject });
        if (info.interaction === 'delete') throw new FhirHttpError(403, 'insufficient_scope');
      },
    });
    const principal: Principal = {
      subject: 'alice',
      clientId: 'app',
      scopes: ['user/*.*'],
      tokenId: 'jti-1',
    };
    const app = createFhirApp({
      versions: [
        {
          basePath: '/r4',
          handler,
          middleware: [
            (_req, _res, next) => {
              order.push('version');
              next();
            },
          ],
        },
      ],
      limits: { maxBytes: 1024 * 1024, maxDepth: 64 },
      middleware: [
        (req, res, next) => {
          order.push('app');
          if (req.headers.authorization === 'Bearer good') res.locals.principal = principal;
          next();
        },
      ],
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/r4`;
    stop = async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    };
  });
  after(async () => {
    await stop();
  });
  beforeEach(() => {
    seen.length = 0;
    order.length = 0;
  });

  it('runs app-wide then per-version middleware, and hands the principal to the hook', async () => {
    const created = await post(`${url}/Patient`, patient(), { authorization: 'Bearer good' });
    assert.equal(created.status, 201);
    assert.deepEqual(order, ['app', 'version']);
    assert.deepEqual(
      seen.map(({ info, subject }) => [info.interaction, info.resourceType, subject]),
      [['create', 'Patient', 'alice']],
    );
    await fetch(`${url}/Patient?gender=male`);
    assert.equal(seen[1]?.subject, undefined);
    assert.deepEqual(seen[1]?.info.query, [['gender', 'male']]);
  });

  it('lets the hook refuse with its own status and OperationOutcome', async () => {
    const response = await fetch(`${url}/Patient/p1`, { method: 'DELETE' });
    assert.equal(response.status, 403);
    assert.equal(((await response.json()) as AnyJson).issue[0].diagnostics, 'insufficient_scope');
  });

  it('asks the hook about every transaction entry, and a refused entry fails the transaction', async () => {
    const created = (await (await post(`${url}/Patient`, patient())).json()) as AnyJson;
    seen.length = 0;
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: patient(), request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'DELETE', url: `Patient/${created.id}` } },
      ],
    };
    const response = await post(url, bundle, { authorization: 'Bearer good' });
    assert.equal(response.status, 403);
    assert.deepEqual(
      seen.map(({ info }) => `${info.interaction} ${info.resourceType ?? ''}`.trim()),
      ['transaction', 'delete Patient'],
      'DELETE entries run first and the refusal stops the rest',
    );
    assert.equal((await fetch(`${url}/Patient/${created.id}`)).status, 200);
  });
});
