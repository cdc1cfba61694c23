import assert from 'node:assert/strict';
import { createFhirHandler } from '../../src/runtime/http/handler';
import type { FhirRequest } from '../../src/runtime/http/types';
import type { SearchResult } from '../../src/runtime/service';
import { r4Binding } from './fixtures/binding';
import type { AnyJson } from './fixtures/server';

const request = (query: [string, string][]): FhirRequest => ({
  method: 'GET',
  path: '/Patient',
  query,
  headers: {},
  baseUrl: 'http://fhir.test/r4',
  requestId: 'links',
});

function handlerReturning(result: SearchResult) {
  return createFhirHandler({ binding: r4Binding, services: { Patient: { search: () => result } } });
}

describe('runtime search Bundle links', () => {
  const patients = [{ resourceType: 'Patient', id: 'a' }];

  it('uses the links a paging service gives, adding self when it has none', async () => {
    const next = 'http://fhir.test/r4/Patient?gender=male&_cursor=abc';
    const response = await handlerReturning({
      match: patients,
      links: [{ relation: 'next', url: next }],
    }).handle(request([['gender', 'male']]));
    const bundle = response.body as AnyJson;
    assert.deepEqual(bundle.link, [
      { relation: 'self', url: 'http://fhir.test/r4/Patient?gender=male' },
      { relation: 'next', url: next },
    ]);
  });

  it('links next by _offset when the total says there is more, and not on the last page', async () => {
    const more = (await handlerReturning({ match: patients, total: 5 }).handle(request([['_count', '2']])))
      .body as AnyJson;
    assert.equal(more.link[1].url, 'http://fhir.test/r4/Patient?_count=2&_offset=2');
    const last = (
      await handlerReturning({ match: patients, total: 5 }).handle(
        request([
          ['_count', '2'],
          ['_offset', '4'],
        ]),
      )
    ).body as AnyJson;
    assert.equal(last.link.length, 1);
  });

  it('leaves entry out of an empty searchset (FHIR JSON has no empty arrays)', async () => {
    const bundle = (await handlerReturning({ match: [], total: 0 }).handle(request([]))).body as AnyJson;
    assert.equal(bundle.total, 0);
    assert.equal('entry' in bundle, false);
  });
});
