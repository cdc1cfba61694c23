/**
 * Patient compartments end to end (issue 7, SECURITY.md "Authorization"): an R4 project generated,
 * installed and started as `npm start` starts it, whose Patient service declares two custom operations
 * that answer with whatever Observations they are asked for, whoever they belong to. A
 * `patient/*.read` token for p1 must not see p2's data through a read, through a type outside the
 * Patient compartment, or through those operations.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildProject, installedProject, type StartedServer, startServer } from '../support/project';
import { clientSecretOf, clientToken, type Received, send } from './security-support';

const run = promisify(execFile);

/** Its own project: the service file below is written into it, so it must not be shared with other tests. */
const PROJECT = ['--name', 'compartment-server', '--fhir', 'r4'];

const PATIENT_SERVICE = `import type { ServiceDeps } from '../../runtime/app/types';
import type { ResourceLike } from '../../runtime/service';
import { storeService } from '../../runtime/store/store-service';
import type { PatientService } from '../../fhir/r4/services';

/** Two operations that answer with the Observations named by their id parameters, whoever they belong to. */
export function createPatientService({ store }: ServiceDeps): PatientService {
  const observations = storeService(store, 'Observation');
  const ids = (params: [string, string][]) => params.filter(([name]) => name === 'id').map(([, id]) => id);
  return {
    ...storeService(store, 'Patient'),
    operations: [
      {
        name: 'observations',
        instance: true,
        handler: async (input, ctx) => ({
          resourceType: 'Bundle',
          type: 'collection',
          entry: await Promise.all(
            ids(input.params).map(async (id) => ({ resource: await observations.read?.(id, ctx) })),
          ),
        }),
      },
      {
        name: 'observation',
        instance: true,
        handler: async (input, ctx) => (await observations.read?.(ids(input.params)[0] ?? '', ctx)) as ResourceLike,
      },
    ],
  };
}
`;

describe('patient compartments in a generated project, end to end', function () {
  this.timeout(900_000);
  let server: StartedServer;
  let base: string;
  let admin: string;
  let p1: string;
  const ids: Record<string, string> = {};

  const get = (pathname: string, bearer: string) =>
    send(`${base}${pathname}`, { headers: { authorization: `Bearer ${bearer}` } });
  const write = (method: string, pathname: string, bearer: string, body: unknown) =>
    send(`${base}${pathname}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(body),
    });

  before(async () => {
    const project = await installedProject(PROJECT);
    writeFileSync(path.join(project.dir, 'src', 'services', 'r4', 'patient.service.ts'), PATIENT_SERVICE);
    await buildProject(project.dir);
    const { stdout } = await run(
      'npm',
      ['run', '--silent', 'client:add', '--', 'p1-app', 'patient/*.read', '--patient', 'p1'],
      { cwd: project.dir },
    );
    server = await startServer(project.dir, { TRANSPORT: 'http' });
    base = server.url;
    admin = await clientToken(base, 'admin', clientSecretOf(project.output));
    p1 = await clientToken(base, 'p1-app', clientSecretOf(stdout));
    for (const id of ['p1', 'p2']) {
      const reply = await write('PUT', `/r4/Patient/${id}`, admin, { resourceType: 'Patient', id });
      assert.ok([200, 201].includes(reply.status), reply.text);
    }
    const observations: Record<string, Record<string, unknown>> = {
      own: { subject: { reference: 'Patient/p1' } },
      other: { subject: { reference: 'Patient/p2' } },
      // R4's CompartmentDefinition lists Observation subject and performer, not focus.
      focus: { subject: { reference: 'Patient/p2' }, focus: [{ reference: 'Patient/p1' }] },
    };
    for (const [name, fields] of Object.entries(observations)) {
      const reply = await write('POST', '/r4/Observation', admin, {
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'heart rate' },
        ...fields,
      });
      assert.equal(reply.status, 201, reply.text);
      ids[name] = reply.json().id;
    }
    const task = await write('POST', '/r4/Task', admin, {
      resourceType: 'Task',
      status: 'ready',
      intent: 'order',
      for: { reference: 'Patient/p1' },
    });
    assert.equal(task.status, 201, task.text);
    ids.task = task.json().id;
  });

  after(async () => {
    await server?.stop();
  });

  function assertRefused(reply: Received, diagnostics: RegExp): void {
    assert.equal(reply.status, 403, reply.text);
    assert.match(
      String(reply.headers['www-authenticate']),
      /^Bearer realm="fhir", error="insufficient_scope"/,
    );
    const body = reply.json();
    assert.equal(body.resourceType, 'OperationOutcome');
    assert.match(body.issue[0].diagnostics, diagnostics);
  }

  it("reads the patient's own Observation and refuses another patient's with 403", async () => {
    assert.equal((await get(`/r4/Observation/${ids.own}`, p1)).status, 200);
    assertRefused(await get(`/r4/Observation/${ids.other}`, p1), /outside the token's patient compartment/);
    assertRefused(await get(`/r4/Observation/${ids.focus}`, p1), /outside the token's patient compartment/);
    assert.equal((await get(`/r4/Observation/${ids.other}`, admin)).status, 200);
  });

  it('searches only what the compartment parameters tie to the patient', async () => {
    const reply = await get('/r4/Observation', p1);
    assert.equal(reply.status, 200, reply.text);
    const found = reply.json().entry.map((entry: { resource: { id: string } }) => entry.resource.id);
    assert.deepEqual(found, [ids.own]);
  });

  it('refuses a type outside the Patient compartment, even one that names the patient', async () => {
    assertRefused(await get(`/r4/Task/${ids.task}`, p1), /Task is not in the patient compartment/);
    assertRefused(await get('/r4/Task', p1), /Task is not in the patient compartment/);
    assert.equal((await get(`/r4/Task/${ids.task}`, admin)).status, 200);
  });

  it("leaves another patient's Observations out of a custom operation's Bundle, with a warning", async () => {
    const query = `id=${ids.own}&id=${ids.other}&id=${ids.focus}`;
    const reply = await get(`/r4/Patient/p1/$observations?${query}`, p1);
    assert.equal(reply.status, 200, reply.text);
    const entries = reply.json().entry as {
      resource: { resourceType: string; id?: string; issue?: unknown[] };
    }[];
    assert.deepEqual(
      entries.map((entry) => entry.resource.id ?? entry.resource.resourceType),
      [ids.own, 'OperationOutcome'],
    );
    assert.doesNotMatch(reply.text, new RegExp(`${ids.other}|${ids.focus}|Patient/p2`));
    assert.deepEqual(entries[1]?.resource.issue, [
      {
        severity: 'warning',
        code: 'suppressed',
        diagnostics:
          '2 entries are left out: outside what the token may read (its scopes or its patient compartment)',
      },
    ]);
    const unfiltered = await get(`/r4/Patient/p1/$observations?${query}`, admin);
    assert.equal(unfiltered.json().entry.length, 3);
  });

  it("refuses a custom operation that answers with another patient's Observation", async () => {
    assertRefused(
      await get(`/r4/Patient/p1/$observation?id=${ids.other}`, p1),
      /in the \$observation result is outside what the token may read/,
    );
    const own = await get(`/r4/Patient/p1/$observation?id=${ids.own}`, p1);
    assert.equal(own.status, 200, own.text);
    assert.equal(own.json().id, ids.own);
  });
});
