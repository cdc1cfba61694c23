/**
 * End to end: `fhirgen generate project` with all three versions into a temp folder, `npm install`,
 * user edits to service files, `--update`, then the server started as `npm start` starts it, and
 * FHIR interactions over HTTP as clients send them (raw requests and fhir-kit-client). The server
 * suites run twice: on the embedded SQLite store, and with STORE=postgres on a throwaway PostgreSQL
 * cluster (test/support/postgres.ts), where an outage must give 503s and heal without a restart.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { buildProject, fhirgen, installedProject, type StartedServer, startServer } from '../support/project';
import { assertOutcome, request as send } from './helpers';
import { clientSecretOf, clientToken } from './security-support';

const run = promisify(execFile);

/** Service edits a user would make: a custom operation, a wrong-typed result, a removed interaction. */
const EDITS: Record<string, [string, string]> = {
  'src/services/r4/patient.service.ts': [
    "return storeService(store, 'Patient');",
    `return {
    ...storeService(store, 'Patient'),
    operations: [
      {
        name: 'hello',
        type: true,
        instance: true,
        handler: (input) => ({
          resourceType: 'Parameters',
          parameter: [{ name: 'greeting', valueString: \`hello \${input.id ?? 'everyone'}\` }],
        }),
      },
    ],
  };`,
  ],
  'src/services/r4/device.service.ts': [
    "return storeService(store, 'Device');",
    "const { delete: _removed, ...rest } = storeService(store, 'Device');\n  return rest;",
  ],
  'src/services/r4/organization.service.ts': [
    "return storeService(store, 'Organization');",
    "return { ...storeService(store, 'Organization'), read: () => ({ resourceType: 'Patient', id: 'not-an-org' }) };",
  ],
};

interface EditedProject {
  dir: string;
  output: string;
  /** The edited service files' text, by path. */
  edited: Map<string, string>;
}

let editedProject: Promise<EditedProject> | undefined;

/** The project, installed, with the user's edits, updated by `--update` and built; made once per run. */
function prepareProject(): Promise<EditedProject> {
  editedProject ??= (async () => {
    const project = await installedProject(['--name', 'e2e-server']);
    const dir = project.dir;
    const edited = new Map<string, string>();
    for (const [file, [from, to]] of Object.entries(EDITS)) {
      const target = path.join(dir, file);
      const text = readFileSync(target, 'utf8');
      assert.ok(text.includes(from), `${file} has the expected stub`);
      writeFileSync(target, text.replace(from, to));
      edited.set(file, readFileSync(target, 'utf8'));
    }
    writeFileSync(path.join(dir, 'src/server.ts'), '// a stale copy\n');
    const updated = await fhirgen(['generate', 'project', dir, '--update']);
    assert.equal(updated.code, 0, updated.stderr);
    await buildProject(dir);
    return { dir, output: project.output, edited };
  })();
  return editedProject;
}

for (const store of ['sqlite', 'postgres'] as const) {
  describe(`generated project, end to end, on ${store === 'sqlite' ? 'the embedded SQLite store' : 'PostgreSQL'}`, function () {
    this.timeout(900_000);
    let dir: string;
    let server: StartedServer;
    let base: string;
    let edited = new Map<string, string>();
    let database: TestPostgres | undefined;
    // The server is secured: every request but /metadata carries the token of the generated client.
    let token = '';
    const request: typeof send = (url, init = {}) =>
      send(url, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });

    before(async () => {
      const project = await prepareProject();
      dir = project.dir;
      edited = project.edited;
      if (store === 'postgres') database = await startPostgres();
      server = await startServer(
        dir,
        database === undefined ? {} : { STORE: 'postgres', STORE_URL: database.url },
      );
      base = server.url;
      token = await clientToken(base, 'admin', clientSecretOf(project.output));
    });

    after(async () => {
      await server?.stop();
      await database?.stop();
    });

    // What generation does is the same whatever the store: checked once.
    if (store === 'sqlite')
      describe('--update', () => {
        it('keeps every edited service file byte for byte', () => {
          for (const [file, text] of edited)
            assert.equal(readFileSync(path.join(dir, file), 'utf8'), text, file);
        });

        it('restores generator-owned files', () => {
          assert.match(readFileSync(path.join(dir, 'src/server.ts'), 'utf8'), /runServer/);
        });

        it('records the choices in fhirgen.json', () => {
          const manifest = JSON.parse(readFileSync(path.join(dir, 'fhirgen.json'), 'utf8'));
          assert.deepEqual(manifest.options.versions, ['dstu2', 'stu3', 'r4']);
          assert.equal(manifest.options.name, 'e2e-server');
        });

        it('refuses to generate into a non-empty folder without --update or --force', async () => {
          const refused = await fhirgen(['generate', 'project', dir]);
          assert.equal(refused.code, 2);
          assert.match(refused.stderr, /not empty.*--update/);
        });
      });

    for (const version of [
      {
        id: 'r4',
        base: '/r4',
        mime: 'application/fhir+json',
        capability: 'CapabilityStatement',
        fhirVersion: '4.0.1',
      },
      {
        id: 'stu3',
        base: '/stu3',
        mime: 'application/fhir+json',
        capability: 'CapabilityStatement',
        fhirVersion: '3.0.1',
      },
      {
        id: 'dstu2',
        base: '/dstu2',
        mime: 'application/json+fhir',
        capability: 'Conformance',
        fhirVersion: '1.0.2',
      },
    ]) {
      describe(`${version.id} interactions`, () => {
        const url = (suffix: string) => `${base}${version.base}${suffix}`;
        const json = { 'content-type': version.mime };
        // HumanName.family is a list in DSTU2 and a single string from STU3 on.
        const family = (name: string) => (version.id === 'dstu2' ? [name] : name);

        it('serves a capability statement of the version', async () => {
          const reply = await request(url('/metadata'));
          assert.equal(reply.status, 200);
          assert.equal(reply.body.resourceType, version.capability);
          assert.equal(reply.body.fhirVersion, version.fhirVersion);
          assert.match(
            reply.headers.get('content-type') ?? '',
            new RegExp(`^${version.mime.replace('+', '\\+')}`),
          );
        });

        it('creates, reads, updates, versions and deletes a Patient', async () => {
          const created = await request(url('/Patient'), {
            method: 'POST',
            headers: json,
            body: {
              resourceType: 'Patient',
              name: [{ family: family('Chalmers'), given: ['Peter'] }],
              gender: 'male',
            },
          });
          assert.equal(created.status, 201, created.text);
          const location = created.headers.get('location') ?? '';
          assert.match(location, new RegExp(`${version.base}/Patient/[^/]+/_history/1$`));
          assert.equal(created.headers.get('etag'), 'W/"1"');
          const id = created.body.id as string;
          const read = await request(url(`/Patient/${id}`));
          assert.equal(read.status, 200);
          assert.deepEqual(read.body.name[0].family, family('Chalmers'));
          assert.match(
            read.headers.get('last-modified') ?? '',
            /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
          );
          const updated = await request(url(`/Patient/${id}`), {
            method: 'PUT',
            headers: { ...json, 'if-match': 'W/"1"' },
            body: { ...read.body, gender: 'other' },
          });
          assert.equal(updated.status, 200, updated.text);
          assert.equal(updated.headers.get('etag'), 'W/"2"');
          const stale = await request(url(`/Patient/${id}`), {
            method: 'PUT',
            headers: { ...json, 'if-match': 'W/"1"' },
            body: { ...read.body, gender: 'female' },
          });
          assertOutcome(stale, 412);
          const first = await request(url(`/Patient/${id}/_history/1`));
          assert.equal(first.body.gender, 'male');
          const history = await request(url(`/Patient/${id}/_history`));
          assert.equal(history.body.resourceType, 'Bundle');
          assert.equal(history.body.type, 'history');
          assert.equal(history.body.entry.length, 2);
          const deleted = await request(url(`/Patient/${id}`), { method: 'DELETE' });
          assert.ok([200, 204].includes(deleted.status), deleted.text);
          assertOutcome(await request(url(`/Patient/${id}`)), 410);
        });

        it('answers errors with OperationOutcomes and FHIR status codes', async () => {
          assertOutcome(
            await request(url('/Patient'), { method: 'POST', headers: json, body: '{"resourceType":' }),
            400,
          );
          assertOutcome(
            await request(url('/Patient'), {
              method: 'POST',
              headers: { 'content-type': 'text/plain' },
              body: 'hello',
            }),
            415,
          );
          assertOutcome(
            await request(url('/Patient'), {
              method: 'POST',
              headers: json,
              body: { resourceType: 'Observation' },
            }),
            400,
          );
          const invalid = assertOutcome(
            await request(url('/Patient'), {
              method: 'POST',
              headers: json,
              body: { resourceType: 'Patient', gender: 'robot' },
            }),
            400,
          );
          assert.match(invalid, /gender/);
          // A well-formed Observation that breaks obs-6 (a value and a dataAbsentReason): 422, nothing stored.
          const stored = async () => (await request(url('/Observation?_count=1000'))).body.entry?.length ?? 0;
          const before = await stored();
          const obs6 = assertOutcome(
            await request(url('/Observation'), {
              method: 'POST',
              headers: json,
              body: {
                resourceType: 'Observation',
                status: 'final',
                code: { text: 'weight' },
                valueQuantity: { value: 70, unit: 'kg' },
                dataAbsentReason: { text: 'unknown' },
              },
            }),
            422,
          );
          assert.match(obs6, /obs-6: /);
          assert.equal(await stored(), before);
          assertOutcome(await request(url('/Patient/does-not-exist')), 404);
          assertOutcome(await request(url('/NotAType/1')), 404);
        });

        it('validates with $validate', async () => {
          const valid = await request(url('/Patient/$validate'), {
            method: 'POST',
            headers: json,
            body: { resourceType: 'Patient', gender: 'female' },
          });
          assert.equal(valid.status, 200, valid.text);
          assert.equal(valid.body.resourceType, 'OperationOutcome');
          const invalid = await request(url('/Patient/$validate'), {
            method: 'POST',
            headers: json,
            body: { resourceType: 'Patient', gender: 'robot' },
          });
          assert.equal(invalid.body.resourceType, 'OperationOutcome');
          assert.ok(invalid.body.issue.some((issue: { severity: string }) => issue.severity === 'error'));
        });

        it('runs a transaction all or nothing, rewriting urn:uuid references', async () => {
          const transaction = {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
              {
                fullUrl: 'urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a',
                resource: { resourceType: 'Patient', name: [{ family: family('Transaction') }] },
                request: { method: 'POST', url: 'Patient' },
              },
              {
                resource: {
                  resourceType: 'Encounter',
                  status: 'finished',
                  ...(version.id === 'r4' ? { class: { code: 'AMB' } } : {}),
                  patient:
                    version.id === 'dstu2'
                      ? { reference: 'urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a' }
                      : undefined,
                  subject:
                    version.id === 'dstu2'
                      ? undefined
                      : { reference: 'urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a' },
                },
                request: { method: 'POST', url: 'Encounter' },
              },
            ],
          };
          const done = await request(url(''), { method: 'POST', headers: json, body: transaction });
          assert.equal(done.status, 200, done.text);
          assert.equal(done.body.type, 'transaction-response');
          const patientLocation: string = done.body.entry[0].response.location;
          const encounterLocation: string = done.body.entry[1].response.location;
          const encounter = await request(
            url(`/${encounterLocation.split('/_history')[0]?.replace(/^.*?(Encounter\/)/, '$1')}`),
          );
          const reference = (encounter.body.subject ?? encounter.body.patient).reference as string;
          assert.equal(reference, patientLocation.split('/_history')[0]?.replace(/^.*?(Patient\/)/, '$1'));

          // The second entry updates without an id, so the whole transaction must fail and the first roll back.
          const failing = {
            ...transaction,
            entry: [
              {
                ...transaction.entry[0],
                resource: { resourceType: 'Patient', name: [{ family: family('Rolled back') }] },
              },
              { ...transaction.entry[1], request: { method: 'PUT', url: 'Encounter' } },
            ],
          };
          const before = await request(url('/Patient/_history'));
          const refused = await request(url(''), { method: 'POST', headers: json, body: failing });
          assert.ok(refused.status >= 400, refused.text);
          const after = await request(url('/Patient/_history'));
          assert.equal(
            after.body.total ?? after.body.entry?.length,
            before.body.total ?? before.body.entry?.length,
          );
        });
      });
    }

    describe('r4 search on the store', () => {
      const url = (suffix: string) => `${base}/r4${suffix}`;
      const tag = `s${Date.now().toString(36)}`;
      const ids: Record<string, string> = {};

      before(async () => {
        const people = [
          ['Alpha', '1975-03-01', 'female'],
          ['Bravo', '1982-07-15', 'male'],
          ['Charlie', '1988-12-31', 'male'],
          ['Delta', '1995-01-01', 'female'],
        ] as const;
        for (const [given, birthDate, gender] of people) {
          const created = await request(url('/Patient'), {
            method: 'POST',
            body: {
              resourceType: 'Patient',
              name: [{ family: `${tag}fam`, given: [given] }],
              birthDate,
              gender,
            },
          });
          assert.equal(created.status, 201, created.text);
          ids[given] = created.body.id;
        }
        const observation = await request(url('/Observation'), {
          method: 'POST',
          body: {
            resourceType: 'Observation',
            status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }], text: tag },
            subject: { reference: `Patient/${ids.Bravo}` },
          },
        });
        assert.equal(observation.status, 201, observation.text);
      });

      const names = (bundle: {
        entry?: {
          resource: { resourceType: string; name?: { given: string[] }[] };
          search: { mode: string };
        }[];
      }) =>
        (bundle.entry ?? [])
          .filter((entry) => entry.search.mode === 'match')
          .map((entry) => entry.resource.name?.[0]?.given[0])
          .sort();

      it('finds by string prefix, and ANDs repeated date parameters', async () => {
        const byName = await request(url(`/Patient?family=${tag}`));
        assert.equal(byName.status, 200, byName.text);
        assert.deepEqual(names(byName.body), ['Alpha', 'Bravo', 'Charlie', 'Delta']);
        const range = await request(url(`/Patient?family=${tag}&birthdate=ge1980&birthdate=le1990`));
        assert.deepEqual(names(range.body), ['Bravo', 'Charlie']);
        const orGender = await request(url(`/Patient?family=${tag}&gender=female&birthdate=lt1980`));
        assert.deepEqual(names(orGender.body), ['Alpha']);
      });

      it('answers token :in and :not-in from the ValueSets of the version', async () => {
        const genders = 'http://hl7.org/fhir/ValueSet/administrative-gender';
        const inSet = await request(url(`/Patient?family=${tag}&gender:in=${genders}`));
        assert.equal(inSet.status, 200, inSet.text);
        assert.deepEqual(names(inSet.body), ['Alpha', 'Bravo', 'Charlie', 'Delta']);
        const notIn = await request(url(`/Patient?family=${tag}&gender:not-in=${genders}`));
        assert.deepEqual(names(notIn.body), []);
        const unknown = await request(url(`/Patient?gender:in=http://example.org/ValueSet/none`));
        assert.equal(unknown.status, 400, unknown.text);
        assert.match(JSON.stringify(unknown.body), /not one this server can expand/);
      });

      it('answers token :below and :above from the code system hierarchies of the version', async () => {
        // In R4's observation-status, `corrected` is below `amended`.
        const corrected = await request(url('/Observation'), {
          method: 'POST',
          body: { resourceType: 'Observation', status: 'corrected', code: { text: `z${tag}` } },
        });
        assert.equal(corrected.status, 201, corrected.text);
        const found = (body: { entry?: { resource: { id: string } }[] }) =>
          (body.entry ?? []).map((entry) => entry.resource.id);
        const below = await request(url(`/Observation?code:text=z${tag}&status:below=amended`));
        assert.equal(below.status, 200, below.text);
        assert.deepEqual(found(below.body), [corrected.body.id]);
        const above = await request(url(`/Observation?code:text=z${tag}&status:above=amended`));
        assert.deepEqual(found(above.body), []);
      });

      it('gives the same results to POST _search', async () => {
        const posted = await request(url('/Patient/_search'), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `family=${tag}&birthdate=ge1980&birthdate=le1990`,
        });
        assert.equal(posted.status, 200, posted.text);
        assert.deepEqual(names(posted.body), ['Bravo', 'Charlie']);
      });

      it('includes the subject of matched Observations', async () => {
        const found = await request(
          url(
            `/Observation?code=http://loinc.org|8867-4&subject=Patient/${ids.Bravo}&_include=Observation:subject`,
          ),
        );
        assert.equal(found.status, 200, found.text);
        const modes = found.body.entry.map(
          (entry: { resource: { resourceType: string }; search: { mode: string } }) =>
            `${entry.search.mode}:${entry.resource.resourceType}`,
        );
        assert.ok(modes.includes('match:Observation'), modes.join());
        assert.ok(modes.includes('include:Patient'), modes.join());
      });

      it('pages through every match with next links, without duplicates or gaps', async () => {
        const seen: string[] = [];
        let next: string | undefined = url(`/Patient?family=${tag}&_count=1&_sort=birthdate`);
        while (next) {
          const page = await request(next);
          assert.equal(page.status, 200, page.text);
          for (const entry of page.body.entry ?? [])
            if (entry.search.mode === 'match') seen.push(entry.resource.name[0].given[0]);
          next = page.body.link.find((link: { relation: string }) => link.relation === 'next')?.url;
        }
        assert.deepEqual(seen, ['Alpha', 'Bravo', 'Charlie', 'Delta']);
      });

      it('counts with _summary=count', async () => {
        const counted = await request(url(`/Patient?family=${tag}&_summary=count`));
        assert.equal(counted.body.total, 4);
        assert.equal(counted.body.entry, undefined);
      });

      it('refuses an unknown parameter, and ignores it under Prefer: handling=lenient', async () => {
        const refused = assertOutcome(await request(url(`/Patient?family=${tag}&shoe-size=42`)), 400);
        assert.match(refused, /shoe-size/);
        const lenient = await request(url(`/Patient?family=${tag}&shoe-size=42`), {
          headers: { prefer: 'handling=lenient' },
        });
        assert.equal(lenient.status, 200, lenient.text);
        assert.equal(names(lenient.body).length, 4);
        const outcome = lenient.body.entry.find(
          (entry: { search: { mode: string } }) => entry.search.mode === 'outcome',
        );
        assert.match(JSON.stringify(outcome.resource), /shoe-size/);
      });

      it('creates conditionally with If-None-Exist', async () => {
        const identifier = { system: 'urn:fhirgen:test', value: tag };
        const first = await request(url('/Patient'), {
          method: 'POST',
          headers: { 'if-none-exist': `identifier=urn:fhirgen:test|${tag}` },
          body: { resourceType: 'Patient', identifier: [identifier] },
        });
        assert.equal(first.status, 201, first.text);
        const second = await request(url('/Patient'), {
          method: 'POST',
          headers: { 'if-none-exist': `identifier=urn:fhirgen:test|${tag}` },
          body: { resourceType: 'Patient', identifier: [identifier] },
        });
        assert.equal(second.status, 200, second.text);
        const found = await request(url(`/Patient?identifier=urn:fhirgen:test|${tag}`));
        assert.equal(names(found.body).length, 1);
      });
    });

    describe('r4 service behaviour', () => {
      const url = (suffix: string) => `${base}/r4${suffix}`;

      it('routes a custom operation a service declares, at type and instance level', async () => {
        const type = await request(url('/Patient/$hello'));
        assert.equal(type.status, 200, type.text);
        assert.equal(type.body.parameter[0].valueString, 'hello everyone');
        const instance = await request(url('/Patient/abc/$hello'));
        assert.equal(instance.body.parameter[0].valueString, 'hello abc');
      });

      it('answers 405 for an interaction the service does not implement, and leaves it out of /metadata', async () => {
        const created = await request(url('/Device'), { method: 'POST', body: { resourceType: 'Device' } });
        assert.equal(created.status, 201, created.text);
        assertOutcome(await request(url(`/Device/${created.body.id}`), { method: 'DELETE' }), 405);
        const metadata = await request(url('/metadata'));
        const device = metadata.body.rest[0].resource.find(
          (entry: { type: string }) => entry.type === 'Device',
        );
        const codes = device.interaction.map((entry: { code: string }) => entry.code);
        assert.ok(!codes.includes('delete'));
        assert.ok(codes.includes('read'));
        const patient = metadata.body.rest[0].resource.find(
          (entry: { type: string }) => entry.type === 'Patient',
        );
        assert.ok(patient.operation.some((operation: { name: string }) => operation.name === 'hello'));
      });

      it('turns a wrong-typed service result into a 500 naming the service', async () => {
        const reply = assertOutcome(await request(url('/Organization/x')), 500);
        assert.match(reply, /Organization service/);
      });

      it('casts the same stored JSON to each version’s own resource', async () => {
        // Observation.note is R4's; STU3 calls it comment. Stored once through R4, read through both.
        const created = await request(url('/Observation'), {
          method: 'POST',
          body: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'heart rate' },
            note: [{ text: 'after exercise' }],
            valueQuantity: { value: 72, unit: 'beats/minute' },
          },
        });
        assert.equal(created.status, 201, created.text);
        const r4 = await request(url(`/Observation/${created.body.id}`));
        const stu3 = await request(`${base}/stu3/Observation/${created.body.id}`);
        assert.equal(r4.status, 200);
        assert.equal(stu3.status, 200, stu3.text);
        assert.deepEqual(r4.body.note, [{ text: 'after exercise' }]);
        assert.equal(stu3.body.note, undefined, 'STU3 has no Observation.note');
        assert.deepEqual(stu3.body.valueQuantity, { value: 72, unit: 'beats/minute' });
        assert.equal(stu3.body.code.text, 'heart rate');
      });

      it('patches with JSON Patch, and refuses a patch that fails its test', async () => {
        const created = await request(url('/Patient'), {
          method: 'POST',
          body: { resourceType: 'Patient', gender: 'male' },
        });
        const patch = (operations: unknown) =>
          request(url(`/Patient/${created.body.id}`), {
            method: 'PATCH',
            headers: { 'content-type': 'application/json-patch+json' },
            body: operations,
          });
        const patched = await patch([{ op: 'replace', path: '/gender', value: 'female' }]);
        assert.equal(patched.status, 200, patched.text);
        assert.equal(patched.body.gender, 'female');
        assert.equal(patched.body.meta.versionId, '2');
        const failed = await patch([{ op: 'test', path: '/gender', value: 'male' }]);
        assert.ok([409, 422].includes(failed.status), failed.text);
        assert.equal(failed.body.resourceType, 'OperationOutcome');
        const invalid = await patch([{ op: 'replace', path: '/gender', value: 'robot' }]);
        assertOutcome(invalid, invalid.status);
        assert.ok([400, 422].includes(invalid.status), invalid.text);
      });

      it('answers a batch entry by entry, one failure not affecting the others', async () => {
        const batch = await request(url(''), {
          method: 'POST',
          body: {
            resourceType: 'Bundle',
            type: 'batch',
            entry: [
              {
                resource: { resourceType: 'Patient', gender: 'female' },
                request: { method: 'POST', url: 'Patient' },
              },
              { request: { method: 'GET', url: 'Patient/no-such-patient' } },
              {
                resource: { resourceType: 'Patient', gender: 'robot' },
                request: { method: 'POST', url: 'Patient' },
              },
            ],
          },
        });
        assert.equal(batch.status, 200, batch.text);
        assert.equal(batch.body.type, 'batch-response');
        const statuses = batch.body.entry.map((entry: { response: { status: string } }) =>
          entry.response.status.slice(0, 3),
        );
        assert.deepEqual(statuses, ['201', '404', '400']);
      });

      it('serves type and system history', async () => {
        const type = await request(url('/Patient/_history'));
        assert.equal(type.status, 200, type.text);
        assert.equal(type.body.type, 'history');
        assert.ok(
          type.body.entry.every(
            (entry: { resource?: { resourceType: string } }) =>
              (entry.resource?.resourceType ?? 'Patient') === 'Patient',
          ),
        );
        const system = await request(url('/_history'));
        assert.equal(system.status, 200, system.text);
        const types = new Set(
          system.body.entry.map((entry: { fullUrl: string }) => entry.fullUrl.split('/').at(-2)),
        );
        assert.ok(types.has('Patient') && types.has('Observation'), [...types].join(','));
      });

      it('lists in /metadata exactly the resource types and interactions it routes', async () => {
        const metadata = await request(url('/metadata'));
        const resources: { type: string; interaction: { code: string }[] }[] = metadata.body.rest[0].resource;
        const facts = JSON.parse(readFileSync(path.join(dir, 'src/fhir/r4/server/version.json'), 'utf8'));
        assert.deepEqual(resources.map((entry) => entry.type).sort(), [...facts.resourceTypes].sort());
        for (const entry of resources) {
          const codes = entry.interaction.map((interaction) => interaction.code);
          const expected = [
            'read',
            'vread',
            'update',
            'patch',
            'history-instance',
            'history-type',
            'create',
            'search-type',
          ];
          if (entry.type !== 'Device') expected.push('delete');
          assert.deepEqual([...codes].sort(), [...expected].sort(), entry.type);
        }
        for (const type of ['Account', 'Patient', 'VisionPrescription']) {
          const searched = await request(url(`/${type}?_count=1`));
          assert.equal(searched.status, 200, `${type}: ${searched.text}`);
        }
      });

      it('talks to a FHIR client library', async () => {
        // fhir-kit-client 2 is an ES module.
        const { Client } = await import('fhir-kit-client');
        const client = new Client({ baseUrl: url(''), bearerToken: token });
        const created = (await client.create({
          resourceType: 'Patient',
          body: { resourceType: 'Patient', name: [{ family: 'Kit' }] },
        })) as unknown as { id: string };
        const read = (await client.read({ resourceType: 'Patient', id: created.id })) as unknown as {
          name: { family: string }[];
        };
        assert.equal(read.name[0]?.family, 'Kit');
        const capability = (await client.capabilityStatement()) as unknown as { fhirVersion: string };
        assert.equal(capability.fhirVersion, '4.0.1');
        await client.delete({ resourceType: 'Patient', id: created.id });
        await assert.rejects(
          client.read({ resourceType: 'Patient', id: created.id }),
          (error: { response?: { status: number } }) => error.response?.status === 410,
        );
      });
    });

    describe('npm run load and npm run store:stats', () => {
      it('loads an NDJSON file into the store while the server runs, reporting the invalid line, then reports the store size', async () => {
        const tag = `bulk${store}`;
        const lines = Array.from({ length: 40 }, (_, i) =>
          JSON.stringify({
            resourceType: 'Patient',
            id: `${tag}-${i}`,
            name: [{ family: tag, given: [`G${i}`] }],
          }),
        );
        lines.splice(7, 0, '{"resourceType":"Patient","birthDate":"yesterday"}');
        const file = path.join(dir, `${tag}.ndjson`);
        writeFileSync(file, `${lines.join('\n')}\n`);
        const env = {
          ...process.env,
          ...(database === undefined ? {} : { STORE: 'postgres', STORE_URL: database.url }),
        };
        const loaded = await run('npm', ['run', '--silent', 'load', '--', `${tag}.ndjson`, '--fhir', 'r4'], {
          cwd: dir,
          env,
        }).then(
          () => assert.fail('an invalid line exits 1'),
          (error: { code: number; stdout: string; stderr: string }) => error,
        );
        assert.equal(loaded.code, 1, loaded.stderr);
        assert.match(loaded.stdout, /^loaded 40 resources in [\d.]+ s \(\d+ resources\/s\), 1 invalid\n$/);
        assert.match(loaded.stderr, new RegExp(`${tag}\\.ndjson:8: .*birthDate`));
        const found = await request(`${base}/r4/Patient?family=${tag}&_summary=count`);
        assert.equal(found.body.total, 40, found.text);
        const read = await request(`${base}/r4/Patient/${tag}-39`);
        assert.equal(read.body.name[0].given[0], 'G39', read.text);

        const stats = await run('npm', ['run', '--silent', 'store:stats', '--', '--json'], { cwd: dir, env });
        const report = JSON.parse(stats.stdout) as {
          kind: string;
          types: { resourceType: string; resources: number }[];
        };
        assert.equal(report.kind, store);
        assert.ok((report.types.find((type) => type.resourceType === 'Patient')?.resources ?? 0) >= 40);
      });
    });

    if (store === 'postgres')
      describe('PostgreSQL unreachable', () => {
        it('stops the start with one line naming the server when PostgreSQL cannot be reached', async () => {
          const refused = await startServer(dir, {
            STORE: 'postgres',
            STORE_URL: 'postgres://fhir@127.0.0.1:1/records',
          }).then(
            (started) => started.stop().then(() => assert.fail('the server started without its database')),
            (error: Error) => error.message,
          );
          assert.match(
            refused,
            /exited with 1[\s\S]*The server could not start: PostgreSQL at 127\.0\.0\.1:1 \(database records\) cannot be reached: [^\n]*STORE_URL\.\n/,
          );
        });

        it('answers 503 OperationOutcomes with Retry-After while PostgreSQL is down, and heals without a restart', async () => {
          const created = await request(`${base}/r4/Patient`, {
            method: 'POST',
            body: { resourceType: 'Patient', gender: 'other' },
          });
          assert.equal(created.status, 201, created.text);
          const read = `${base}/r4/Patient/${created.body.id}`;
          await (database as TestPostgres).halt();
          try {
            for (const attempt of [
              () => request(read),
              () => request(`${base}/r4/Patient?gender=other`),
              () => request(`${base}/r4/Patient`, { method: 'POST', body: { resourceType: 'Patient' } }),
            ]) {
              const reply = await attempt();
              assert.match(assertOutcome(reply, 503), /database is unavailable/);
              assert.equal(reply.headers.get('retry-after'), '5');
            }
          } finally {
            await (database as TestPostgres).restart();
          }
          const again = await request(read);
          assert.equal(again.status, 200, again.text);
          assert.equal(again.body.id, created.body.id);
          assert.equal(server.child.exitCode, null, 'the same server process answered');
        });
      });

    if (store === 'sqlite')
      describe('the generated project', () => {
        it('passes its own npm test', async () => {
          const { stdout } = await run('npm', ['test'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
          assert.match(stdout, /passing/);
          assert.doesNotMatch(stdout, /failing/);
        });

        it('type-checks in strict mode', async () => {
          try {
            await run('npm', ['run', 'typecheck'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
          } catch (error) {
            const failed = error as { stdout?: string; stderr?: string };
            assert.fail(`tsc found errors:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
          }
        });
      });
  });
}
