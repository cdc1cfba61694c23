import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerStarting } from '../../src/runtime/app/run';

describe('runtime app: requests before the server is ready', () => {
  it('are answered 503 with Retry-After and an OperationOutcome, not left hanging', async () => {
    const server = http.createServer(answerStarting);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/r4/metadata`);
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), '1');
      const body = (await response.json()) as { resourceType: string; issue: { code: string }[] };
      assert.equal(body.resourceType, 'OperationOutcome');
      assert.equal(body.issue[0]?.code, 'transient');
    } finally {
      server.close();
    }
  });
});
