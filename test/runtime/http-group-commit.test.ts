/**
 * Group commit seen over HTTP: concurrent creates are committed together and each answered 201 once
 * committed; an invalid one among them is refused alone (https://hl7.org/fhir/R4/http.html#create).
 */
import assert from 'node:assert/strict';
import { FHIR_JSON, patient, post, put, startTestServer, type TestServer } from './fixtures/server';

describe('runtime http: concurrent writes share commits', function () {
  this.timeout(60_000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('answers 200 concurrent creates 201, all readable, the invalid and the stale one refused alone', async () => {
    const existing = await post(`${server.url}/r4/Patient`, patient());
    const existingId = ((await existing.json()) as { id: string }).id;
    // Open the 200 connections first (keep-alive): requests then arrive together, as from clients
    // already connected, instead of one per connection handshake.
    await Promise.all(
      Array.from({ length: 200 }, () =>
        fetch(`${server.url}/r4/metadata`).then((response) => response.text()),
      ),
    );
    const before = { ...server.store.commits };
    const writes = Array.from({ length: 200 }, (_, i) => {
      if (i === 50) return post(`${server.url}/r4/Patient`, patient({ gender: 'robot' }));
      if (i === 150) {
        return put(`${server.url}/r4/Patient/${existingId}`, patient({ id: existingId }), {
          'if-match': 'W/"7"',
        });
      }
      return post(
        `${server.url}/r4/Patient`,
        patient({ birthDate: `19${String(i % 100).padStart(2, '0')}-01-01` }),
      );
    });
    const responses = await Promise.all(writes);
    const statuses = responses.map((response) => response.status);
    assert.deepEqual(
      statuses,
      statuses.map((_, i) => (i === 50 ? 400 : i === 150 ? 412 : 201)),
    );
    const ids: string[] = [];
    for (const [i, response] of responses.entries()) {
      const body = (await response.json()) as { id?: string };
      if (response.status === 201) ids.push(body.id as string);
      else
        assert.equal((body as { resourceType?: string }).resourceType, 'OperationOutcome', `response ${i}`);
    }
    for (const id of ids) {
      const read = await fetch(`${server.url}/r4/Patient/${id}`, { headers: { accept: FHIR_JSON } });
      assert.equal(read.status, 200, `Patient/${id} is readable`);
    }
    const batches = server.store.commits.batches - before.batches;
    const written = server.store.commits.writes - before.writes;
    assert.ok(written >= 198, `${written} writes reached the store`);
    assert.ok(batches <= 50, `${written} writes committed in ${batches} transactions`);
  });
});
