/**
 * Two instances of one generated project behind a load balancer behave as one server (issue 8,
 * "Tests that must exist"): they start together on an empty state folder and share one signing key;
 * a resource written on one is read, searched and updated on the other; tokens revoked or superseded
 * on one are refused by the other; address binding sees the client through the balancer's
 * `X-Forwarded-For`; concurrent updates with one `If-Match` give exactly one success; a search is
 * paged across both; and a transaction Bundle whose instance is killed with SIGKILL in the middle
 * leaves nothing behind. Each backend of `test/support/backends.ts` runs the same tests.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { BACKENDS, type StartedBackend } from '../support/backends';
import { type Cluster, startCluster } from '../support/cluster';
import { installedProject, type StartedServer } from '../support/project';
import { basic, clientSecretOf, clientToken, type Received, send } from './security-support';

const run = promisify(execFile);
const CLUSTER_PROJECT = ['--name', 'cluster-server', '--fhir', 'r4'];
/** A client per test, so that one test's new token never supersedes another's. */
const CLIENTS = ['shared', 'revoked', 'superseded', 'bound', 'racer', 'pager', 'killer', 'outage'];
/** The server's default (and largest) transaction: long enough to be killed while it writes. */
const KILLED_ENTRIES = 1000;
/** Client secrets, registered once in the shared project for every backend's tests. */
const secrets: Record<string, string> = {};
let registered: Promise<void> | undefined;

for (const backend of BACKENDS) {
  describe(`two instances behind a load balancer (${backend.name}), end to end`, function () {
    this.timeout(900_000);
    let cluster: Cluster;
    let stopBackend: () => Promise<void> = async () => {};
    let started: StartedBackend;
    let one: StartedServer;
    let other: StartedServer;

    const tokenOf = (clientId: string, base: string, localAddress?: string) =>
      clientToken(base, clientId, secrets[clientId] as string, localAddress ? { localAddress } : {});
    const fhir = (base: string, pathname: string, token: string, init: FhirInit = {}) =>
      send(`${base}/r4${pathname}`, {
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${token}`,
          ...(init.body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
          ...init.headers,
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        ...(init.localAddress === undefined ? {} : { localAddress: init.localAddress }),
      });

    /** What the instances printed (warnings and errors), for the message of a failed assertion. */
    const serverLogs = () =>
      cluster.instances
        .map((instance, index) => `\ninstance ${index}:\n${instance.output().slice(-3000)}`)
        .join('');

    before(async () => {
      const project = await installedProject(CLUSTER_PROJECT);
      registered ??= addClients(project.dir, project.output);
      await registered;
      started = await backend.start();
      stopBackend = started.stop;
      cluster = await startCluster(project.dir, { env: started.env });
      [one, other] = cluster.instances as [StartedServer, StartedServer];
    });

    after(async () => {
      await cluster?.stop();
      await stopBackend();
    });

    it('starts both instances together on an empty state folder with one signing key', async () => {
      const keys = await Promise.all(
        [one, other].map(async (instance) => (await send(`${instance.url}/.well-known/jwks.json`)).json()),
      );
      assert.equal(keys[0].keys.length, 1);
      assert.deepEqual(keys[1], keys[0]);
      const token = await tokenOf('shared', one.url);
      assert.equal((await fhir(other.url, '/Patient?_count=1', token)).status, 200);
    });

    it('sends requests to both instances in turn', async () => {
      const reached = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const reply = await send(`${cluster.url}/r4/metadata`);
        assert.equal(reply.status, 200, reply.text);
        reached.add(String(reply.headers['x-balanced-to']));
      }
      assert.deepEqual([...reached].sort(), ['0', '1']);
    });

    it('reads, searches and updates on one instance what the other created', async () => {
      const token = await tokenOf('shared', cluster.url);
      const family = `Shared${randomUUID().slice(0, 8)}`;
      const created = await fhir(one.url, '/Patient', token, {
        method: 'POST',
        body: { resourceType: 'Patient', name: [{ family }] },
      });
      assert.equal(created.status, 201, created.text);
      const id = created.json().id as string;
      assert.match(String(created.headers.location), new RegExp(`^${cluster.url}/r4/Patient/${id}/`));

      const read = await fhir(other.url, `/Patient/${id}`, token);
      assert.equal(read.status, 200, read.text);
      assert.equal(read.json().name[0].family, family);
      const found = await fhir(other.url, `/Patient?name=${family}`, token);
      assert.equal(found.status, 200, found.text);
      assert.deepEqual(ids(found), [id]);

      const updated = await fhir(other.url, `/Patient/${id}`, token, {
        method: 'PUT',
        headers: { 'if-match': read.headers.etag as string },
        body: { resourceType: 'Patient', id, name: [{ family, given: ['Updated'] }] },
      });
      assert.equal(updated.status, 200, updated.text);
      const again = await fhir(one.url, `/Patient/${id}`, token);
      assert.equal(again.json().meta.versionId, '2');
      assert.deepEqual(again.json().name[0].given, ['Updated']);
      const history = await fhir(one.url, `/Patient/${id}/_history`, token);
      assert.equal(history.json().total, 2);
    });

    it('refuses on one instance a token revoked on the other', async () => {
      const token = await tokenOf('revoked', one.url);
      assert.equal((await fhir(other.url, '/Patient?_count=1', token)).status, 200);
      const revoked = await send(`${one.url}/auth/revoke`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic('revoked', secrets.revoked as string),
        },
        body: new URLSearchParams({ token }).toString(),
      });
      assert.equal(revoked.status, 200, revoked.text);
      assertInvalidToken(await fhir(other.url, '/Patient?_count=1', token));
    });

    it('refuses on one instance a token superseded by a newer one from the other', async () => {
      const older = await tokenOf('superseded', one.url);
      assert.equal((await fhir(one.url, '/Patient?_count=1', older)).status, 200);
      const newer = await tokenOf('superseded', other.url);
      assertInvalidToken(await fhir(one.url, '/Patient?_count=1', older));
      assert.equal((await fhir(one.url, '/Patient?_count=1', newer)).status, 200);
    });

    it("binds tokens to the client's address as the balancer forwards it", async () => {
      // The balancer reaches every instance from 127.0.0.1; the client here is 127.0.0.2.
      const token = await tokenOf('bound', cluster.url, '127.0.0.2');
      for (let i = 0; i < 2; i++) {
        const reply = await fhir(cluster.url, '/Patient?_count=1', token, { localAddress: '127.0.0.2' });
        assert.equal(reply.status, 200, reply.text);
      }
      // Another client claiming 127.0.0.2 in its own X-Forwarded-For is still 127.0.0.3: only the
      // balancer's entry is believed.
      const stolen = await fhir(cluster.url, '/Patient?_count=1', token, {
        localAddress: '127.0.0.3',
        headers: { 'x-forwarded-for': '127.0.0.2' },
      });
      assertInvalidToken(stolen);
    });

    it('gives exactly one success to concurrent updates with the same If-Match on the two instances', async () => {
      const token = await tokenOf('racer', cluster.url);
      for (let round = 0; round < 20; round++) {
        const created = await fhir(one.url, '/Patient', token, {
          method: 'POST',
          body: { resourceType: 'Patient', name: [{ family: 'Racer' }] },
        });
        assert.equal(created.status, 201, created.text);
        const id = created.json().id as string;
        const etag = created.headers.etag as string;
        const replies = await Promise.all(
          [one, other].map((instance, index) =>
            fhir(instance.url, `/Patient/${id}`, token, {
              method: 'PUT',
              headers: { 'if-match': etag },
              body: { resourceType: 'Patient', id, name: [{ family: 'Racer', given: [`winner ${index}`] }] },
            }),
          ),
        );
        const statuses = replies.map((reply) => reply.status).sort();
        assert.ok(
          statuses[0] === 200 && (statuses[1] === 409 || statuses[1] === 412),
          `round ${round}: ${replies.map((reply) => `${reply.status} ${reply.text}`).join(' / ')}${serverLogs()}`,
        );
        const final = await fhir(other.url, `/Patient/${id}`, token);
        assert.equal(final.json().meta.versionId, '2');
      }
    });

    it('stores concurrent creates from both instances', async () => {
      const token = await tokenOf('shared', cluster.url);
      const family = `Many${randomUUID().slice(0, 8)}`;
      const replies = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          fhir([one, other][i % 2]?.url as string, '/Patient', token, {
            method: 'POST',
            body: { resourceType: 'Patient', name: [{ family, given: [`n${i}`] }] },
          }),
        ),
      );
      const failures = replies.filter((reply) => reply.status !== 201);
      assert.deepEqual(
        failures.map((reply) => `${reply.status} ${reply.text.slice(0, 200)}`),
        [],
        serverLogs(),
      );
      const counted = await fhir(other.url, `/Patient?name=${family}&_summary=count`, token);
      assert.equal(counted.json().total, 100);
    });

    it('pages through a search on both instances, each following the other’s links', async () => {
      const token = await tokenOf('pager', cluster.url);
      const family = `Pager${randomUUID().slice(0, 8)}`;
      const created = new Set<string>();
      for (let i = 0; i < 7; i++) {
        const reply = await fhir(one.url, '/Patient', token, {
          method: 'POST',
          body: { resourceType: 'Patient', name: [{ family, given: [`p${i}`] }] },
        });
        assert.equal(reply.status, 201, reply.text);
        created.add(reply.json().id);
      }
      const seen: string[] = [];
      let page = await fhir(one.url, `/Patient?name=${family}&_count=2`, token);
      for (let hop = 1; ; hop++) {
        assert.equal(page.status, 200, page.text);
        assert.equal(page.json().total, 7);
        seen.push(...ids(page));
        const next = (page.json().link as { relation: string; url: string }[]).find(
          (link) => link.relation === 'next',
        );
        if (next === undefined) break;
        assert.ok(next.url.startsWith(`${cluster.url}/r4/`), next.url);
        const instance = hop % 2 === 1 ? other : one;
        page = await send(next.url.replace(cluster.url, instance.url), {
          headers: { authorization: `Bearer ${token}` },
        });
      }
      assert.equal(seen.length, 7);
      assert.deepEqual(new Set(seen), created);
    });

    if (backend.servers) {
      it('answers 503 while PostgreSQL is down, in flight and after, then recovers without a restart', async () => {
        const faults = started.faults as NonNullable<StartedBackend['faults']>;
        const token = await tokenOf('outage', cluster.url);
        const seeded = await fhir(one.url, '/Patient', token, {
          method: 'POST',
          body: { resourceType: 'Patient', name: [{ family: 'Outage' }] },
        });
        assert.equal(seeded.status, 201, seeded.text);
        const id = seeded.json().id as string;
        // Reads and creates keep running through the balancer while the database goes away and back.
        const replies: Received[] = [];
        let streaming = true;
        const stream = (async () => {
          while (streaming) {
            replies.push(await fhir(cluster.url, `/Patient/${id}`, token).catch(unanswered));
            replies.push(
              await fhir(cluster.url, '/Patient', token, {
                method: 'POST',
                body: { resourceType: 'Patient', name: [{ family: 'Outage' }] },
              }).catch(unanswered),
            );
          }
        })();
        let halted = false;
        try {
          await sleep(300);
          halted = true;
          await faults.haltStore();
          for (const instance of [one, other]) {
            assertTransient(await fhir(instance.url, `/Patient/${id}`, token));
            assertTransient(
              await fhir(instance.url, '/Patient', token, {
                method: 'POST',
                body: { resourceType: 'Patient', name: [{ family: 'Outage' }] },
              }),
            );
            assert.equal((await send(`${instance.url}/health/ready`)).status, 503);
          }
          halted = false;
          await faults.resumeStore();
          for (const instance of [one, other]) {
            const reply = await eventually(() => fhir(instance.url, `/Patient/${id}`, token));
            assert.equal(reply.status, 200, reply.text);
            assert.equal((await send(`${instance.url}/health/ready`)).status, 200);
          }
        } finally {
          streaming = false;
          await stream;
          // The database is shared by the suites that follow: never leave it down.
          if (halted) await faults.resumeStore();
        }
        const unexpected = replies.filter(
          (reply) => ![200, 201, 503].includes(reply.status) || (reply.status === 503 && !isTransient(reply)),
        );
        assert.deepEqual(
          unexpected.map((reply) => `${reply.status} ${reply.text.slice(0, 200)}`),
          [],
          serverLogs(),
        );
        assert.ok(
          replies.some((reply) => reply.status === 503),
          'no request ran into the outage',
        );
        const created = await fhir(other.url, '/Patient', token, {
          method: 'POST',
          body: { resourceType: 'Patient', name: [{ family: 'Recovered' }] },
        });
        assert.equal(created.status, 201, created.text);
        assert.equal((await fhir(one.url, `/Patient/${created.json().id}`, token)).status, 200);
      });

      it('fails token checks closed with 503 while Redis is down, then recovers without a restart', async () => {
        const faults = started.faults as NonNullable<StartedBackend['faults']>;
        const token = await tokenOf('outage', cluster.url);
        assert.equal((await fhir(other.url, '/Patient?_count=1', token)).status, 200);
        await faults.haltTokenStore();
        try {
          for (const instance of [one, other]) {
            assertTransient(await fhir(instance.url, '/Patient?_count=1', token));
            const issued = await send(`${instance.url}/auth/token`, {
              method: 'POST',
              headers: {
                'content-type': 'application/x-www-form-urlencoded',
                authorization: basic('outage', secrets.outage as string),
              },
              body: 'grant_type=client_credentials',
            });
            assert.equal(issued.status, 503, issued.text);
            assert.equal((await send(`${instance.url}/health/ready`)).status, 503);
          }
        } finally {
          await faults.resumeTokenStore();
        }
        // Redis comes back empty (no persistence here), so a token issued afterwards is used.
        const fresh = await eventually(async () => {
          try {
            return await tokenOf('outage', cluster.url);
          } catch {
            return undefined;
          }
        });
        for (const instance of [one, other]) {
          const reply = await fhir(instance.url, '/Patient?_count=1', fresh as string);
          assert.equal(reply.status, 200, reply.text);
        }
      });
    }

    it('leaves no partial writes when an instance is killed with SIGKILL in the middle of a transaction', async () => {
      const token = await tokenOf('killer', cluster.url);
      const tag = randomUUID();
      const entries = Array.from({ length: KILLED_ENTRIES }, (_, i) => {
        const id = `killed-${tag.slice(0, 8)}-${i}`;
        return {
          fullUrl: `${cluster.url}/r4/Patient/${id}`,
          resource: {
            resourceType: 'Patient',
            id,
            identifier: [{ system: 'urn:test:killed', value: tag }],
            name: [{ family: `Killed${i}`, given: ['Transaction', 'Entry'] }],
            telecom: [{ system: 'phone', value: `+1-555-${String(i).padStart(4, '0')}` }],
          },
          request: { method: 'PUT', url: `Patient/${id}` },
        };
      });
      const victim = other;
      const sent = fhir(victim.url, '', token, {
        method: 'POST',
        body: { resourceType: 'Bundle', type: 'transaction', entry: entries },
      }).then(
        (reply) => `answered ${reply.status}`,
        (error: Error) => `failed: ${error.message}`,
      );
      // Killed only once the store has begun the transaction's writes, and while it holds them.
      const deadline = Date.now() + 60_000;
      while (!(await started.writeStarted())) {
        assert.ok(Date.now() < deadline, 'the transaction never began writing');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      victim.child.kill('SIGKILL');
      assert.match(await sent, /^failed: /);

      const found = await fhir(one.url, `/Patient?identifier=urn:test:killed|${tag}&_summary=count`, token);
      assert.equal(found.status, 200, found.text);
      assert.equal(found.json().total, 0);
      for (let start = 0; start < KILLED_ENTRIES; start += 100) {
        const chunk = entries.slice(start, start + 100).map((entry) => entry.resource.id);
        const byId = await fhir(one.url, `/Patient?_id=${chunk.join(',')}&_count=100`, token);
        assert.equal(byId.status, 200, byId.text);
        assert.deepEqual(ids(byId), [], `entries ${start}..${start + 99}`);
      }
      // The surviving instance still writes: the dead one left no lock behind.
      const after = await fhir(one.url, '/Patient', token, {
        method: 'POST',
        body: { resourceType: 'Patient', name: [{ family: 'Survivor' }] },
      });
      assert.equal(after.status, 201, after.text);
    });
  });
}

interface FhirInit {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  localAddress?: string;
}

/** A request that got no HTTP answer at all, kept as status 0 so that it is reported, not thrown. */
function unanswered(error: Error): Received {
  return { status: 0, headers: {}, text: error.message, json: () => undefined };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retries for up to 30 s until `attempt` gives a 2xx reply or a value. */
async function eventually<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await attempt();
    const status = (result as { status?: number } | undefined)?.status;
    const done = status === undefined ? result !== undefined : status >= 200 && status < 300;
    if (done || Date.now() > deadline) return result;
    await sleep(200);
  }
}

/** https://hl7.org/fhir/R4/http.html: a backend outage is a transient OperationOutcome with 503. */
function isTransient(reply: Received): boolean {
  try {
    return reply.status === 503 && reply.json().resourceType === 'OperationOutcome';
  } catch {
    return false;
  }
}

function assertTransient(reply: Received): void {
  assert.ok(isTransient(reply), `${reply.status} ${reply.text}`);
}

function ids(reply: Received): string[] {
  return ((reply.json().entry ?? []) as { resource: { id: string } }[]).map((entry) => entry.resource.id);
}

/** RFC 6750 §3.1: 401 with the Bearer challenge naming invalid_token, and an OperationOutcome. */
function assertInvalidToken(reply: Received): void {
  assert.equal(reply.status, 401, reply.text);
  assert.match(String(reply.headers['www-authenticate']), /error="invalid_token"/);
  assert.equal(reply.json().resourceType, 'OperationOutcome');
}

/** Registers the clients with the project's own `npm run client:add`, and lifts the token rate limit. */
async function addClients(dir: string, output: string): Promise<void> {
  secrets.admin = clientSecretOf(output);
  for (const clientId of CLIENTS) {
    const { stdout } = await run('npm', ['run', '--silent', 'client:add', '--', clientId, 'system/*.*'], {
      cwd: dir,
    });
    secrets[clientId] = clientSecretOf(stdout);
  }
  const configFile = path.join(dir, 'fhirgen.config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8'));
  config.security.tokenRateLimit = { limit: 1000, windowSeconds: 60 };
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
}
