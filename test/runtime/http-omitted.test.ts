import assert from 'node:assert/strict';
import { type AnyJson, startTestServer, type TestServer } from './fixtures/server';

/**
 * A search or history that meets a resource invalid in the route's version (a service bug, or data
 * stored through another version) leaves that entry out and says so, instead of failing the Bundle.
 */
describe('runtime http: Bundle entries invalid in the route version', () => {
  let server: TestServer;
  const valid = { resourceType: 'Observation', id: 'good', status: 'final', code: { text: 'ok' } };
  const invalid = { resourceType: 'Observation', id: 'bad', code: { text: 'no status' } };
  before(async () => {
    server = await startTestServer({
      r4Services: (defaults) => ({
        ...defaults,
        Observation: {
          read: () => invalid,
          search: () => [valid, invalid],
          history: () => [
            {
              resourceType: 'Observation',
              id: 'bad',
              versionId: '1',
              lastUpdated: '2026-01-01T00:00:00Z',
              method: 'POST',
              resource: invalid,
            },
          ],
        },
      }),
    });
  });
  after(() => server.stop());

  it('leaves an invalid search match out and reports it in an OperationOutcome entry', async () => {
    const response = await fetch(`${server.url}/r4/Observation`);
    assert.equal(response.status, 200);
    const bundle = (await response.json()) as AnyJson;
    const modes = bundle.entry.map((entry: AnyJson) => entry.search.mode);
    assert.deepEqual(modes, ['match', 'outcome']);
    assert.equal(bundle.entry[0].resource.id, 'good');
    assert.match(
      bundle.entry[1].resource.issue[0].diagnostics,
      /left out: R4 Observation service \(search\) returned an invalid Observation/,
    );
    assert.equal(bundle.entry[1].resource.issue[0].severity, 'warning');
  });

  it('keeps the history entry without the invalid resource', async () => {
    const response = await fetch(`${server.url}/r4/Observation/bad/_history`);
    assert.equal(response.status, 200);
    const bundle = (await response.json()) as AnyJson;
    assert.equal(bundle.entry.length, 1);
    assert.equal(bundle.entry[0].resource, undefined);
    assert.equal(bundle.entry[0].request.method, 'POST');
  });

  it('still answers a read of the invalid resource with a 500 naming the service', async () => {
    const response = await fetch(`${server.url}/r4/Observation/bad`);
    assert.equal(response.status, 500);
    assert.match(
      ((await response.json()) as AnyJson).issue[0].diagnostics,
      /R4 Observation service \(read\)/,
    );
  });
});
