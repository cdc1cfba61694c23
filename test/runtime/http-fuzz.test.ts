/**
 * Generated requests straight into the FHIR handler (no network, so thousands run in a second or
 * two): whatever the method, path, query, headers and body, the answer is never a 5xx, every error
 * is an OperationOutcome, and Object.prototype is untouched.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createFhirHandler } from '../../src/runtime/http/handler';
import { SqliteStore } from '../../src/runtime/store/sqlite-store';
import { storeServices } from '../../src/runtime/store/store-service';
import { r4Binding } from './fixtures/binding';

const segment = fc.oneof(
  fc.constantFrom(
    'Patient',
    'Observation',
    'metadata',
    '_history',
    '_search',
    '$validate',
    '$everything',
    'p1',
    '1',
    '',
    '..',
  ),
  fc.string({ maxLength: 12 }),
);
const json = fc.jsonValue({ maxDepth: 4 });
const resourceish = fc.record(
  {
    resourceType: fc.constantFrom('Patient', 'Observation', 'Bundle', 'Parameters', 'Binary'),
    id: fc.oneof(fc.constant('p1'), fc.string({ maxLength: 8 })),
    type: fc.constantFrom('batch', 'transaction', 'searchset'),
    gender: fc.constantFrom('male', 'robot'),
    entry: fc.array(
      fc.record({
        fullUrl: fc.constantFrom('urn:uuid:1', 'Patient/p1'),
        resource: fc.record({
          resourceType: fc.constantFrom('Patient', 'Observation'),
          gender: fc.constant('male'),
        }),
        request: fc.record({
          method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'),
          url: fc.constantFrom(
            'Patient',
            'Patient/p1',
            'Observation/x/_history/1',
            '/',
            'http://elsewhere/x',
            '%zz',
          ),
        }),
      }),
      { maxLength: 4 },
    ),
  },
  { requiredKeys: [] },
);

describe('runtime handler fuzzing', () => {
  it('answers 10,000 generated requests without a 5xx, each error an OperationOutcome', async () => {
    const store = new SqliteStore({ location: ':memory:' });
    const handler = createFhirHandler({
      binding: r4Binding,
      services: storeServices(store, ['Patient', 'Observation']),
      transactions: store,
    });
    store.create('Patient', { resourceType: 'Patient', id: 'p1' });
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
      segments: fc.array(segment, { maxLength: 5 }),
      query: fc.array(
        fc.tuple(
          fc.constantFrom('_count', '_id', '_since', '_format', 'gender', 'x', '_offset'),
          fc.string({ maxLength: 8 }),
        ),
        { maxLength: 3 },
      ),
      headers: fc.record(
        {
          accept: fc.constantFrom('application/fhir+json', 'text/html', '*/*;q=0', 'application/json;q=0.5'),
          prefer: fc.constantFrom(
            'return=minimal',
            'return=OperationOutcome',
            'handling=lenient',
            'return=bogus',
          ),
          'if-match': fc.constantFrom('W/"1"', '"2"', '', 'garbage"'),
          'if-none-exist': fc.constantFrom('_id=p1', 'x=1', '', '?'),
          'content-type': fc.constantFrom('application/json-patch+json', 'application/fhir+json'),
        },
        { requiredKeys: [] },
      ),
      body: fc.option(fc.oneof(resourceish, json), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(request, async (generated) => {
        const response = await handler.handle({
          method: generated.method,
          path: `/${generated.segments.join('/')}`,
          query: generated.query,
          headers: generated.headers,
          body: generated.body,
          baseUrl: 'http://127.0.0.1/r4',
          requestId: 'fuzz',
        });
        assert.ok(response.status < 500, `${response.status} ${JSON.stringify(response.body)}`);
        if (response.status >= 400) {
          assert.equal((response.body as { resourceType?: string }).resourceType, 'OperationOutcome');
        }
      }),
      { numRuns: 10_000, seed: 20261128 },
    );
    store.close();
    assert.deepEqual(Object.keys(Object.prototype), []);
  });
});
