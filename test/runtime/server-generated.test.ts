/**
 * The runtime with the real generated code of all three versions (classes, schemas, search tables)
 * and the search module plugged into its seams, over HTTP on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { VersionBinding } from '../../src/runtime/binding';
import { createFhirApp } from '../../src/runtime/express/adapter';
import { createFhirHandler } from '../../src/runtime/http/handler';
import { createSearchParser, createStoreSearchEngine } from '../../src/runtime/search/adapters';
import { createSearchIndexer } from '../../src/runtime/search/sql/indexer';
import type { SearchTables } from '../../src/runtime/search/table';
import type { ServiceMap } from '../../src/runtime/service';
import { SqliteStore } from '../../src/runtime/store/sqlite-store';
import { storeServices } from '../../src/runtime/store/store-service';
import { type GeneratedVersion, generatedBinding } from './fixtures/generated';
import { type AnyJson, post } from './fixtures/server';

const VERSIONS: GeneratedVersion[] = ['r4', 'stu3', 'dstu2'];

describe('runtime server with the generated bindings of R4, STU3 and DSTU2', function () {
  this.timeout(180_000);
  let url: string;
  let close: () => Promise<void>;
  const bindings = {} as Record<GeneratedVersion, VersionBinding>;
  const dropped: string[][] = [];

  before(async () => {
    for (const version of VERSIONS) bindings[version] = generatedBinding(version);
    const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-generated-'));
    const r4Tables = JSON.parse(
      readFileSync(
        path.join(__dirname, '..', '..', 'generated', 'r4', 'server', 'search-parameters.json'),
        'utf8',
      ),
    ) as SearchTables;
    const store = new SqliteStore({
      location: path.join(dir, 'fhir.sqlite'),
      onWrite: createSearchIndexer({ versions: { r4: r4Tables } }),
      searchEngine: createStoreSearchEngine('r4', r4Tables),
    });
    const services = (binding: VersionBinding): ServiceMap => {
      const map = { ...storeServices(store, binding.resourceTypes) };
      // A deliberately wrong service: it answers a Patient read with an Observation.
      if (binding.id === 'r4')
        map.Basic = { read: () => ({ resourceType: 'Observation', id: 'x', status: 'final', code: {} }) };
      return map;
    };
    const versions = VERSIONS.map((version) => ({
      basePath: `/${version}`,
      handler: createFhirHandler({
        binding: bindings[version],
        services: services(bindings[version]),
        transactions: store,
        // The same stored JSON is read through every version; what one version lacks is left out.
        droppedProperties: version === 'r4' ? 'reject' : 'drop',
        onDropped: (_service, paths) => dropped.push(paths),
        ...(version === 'r4'
          ? {
              searchParser: createSearchParser({
                versions: { r4: r4Tables },
                defaultCount: 10,
                maxCount: 100,
              }),
            }
          : {}),
      }),
    }));
    const app = createFhirApp({ versions, limits: { maxBytes: 1024 * 1024, maxDepth: 64 } });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
      rmSync(dir, { recursive: true, force: true });
    };
  });
  after(async () => {
    await close?.();
  });

  it('serves a capability statement per version that its own schema accepts', async () => {
    for (const version of VERSIONS) {
      const response = await fetch(`${url}/${version}/metadata`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), `${bindings[version].mimeType}; charset=utf-8`);
      const statement = (await response.json()) as AnyJson;
      assert.equal(statement.resourceType, bindings[version].capabilityType);
      assert.deepEqual(bindings[version].validate(statement), [], `${version} capability statement`);
      assert.equal(statement.rest[0].resource.length, bindings[version].resourceTypes.length);
    }
  });

  it('creates a Patient on R4 and reads it back as a version-correct resource on STU3 and DSTU2', async () => {
    const created = await post(`${url}/r4/Patient`, {
      resourceType: 'Patient',
      name: [{ family: 'Chalmers', given: ['Peter'] }],
      gender: 'male',
      birthDate: '1974-12-25',
      link: [{ other: { reference: 'Patient/x' }, type: 'seealso' }],
    });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as AnyJson;
    for (const version of VERSIONS) {
      const read = await fetch(`${url}/${version}/Patient/${id}`);
      assert.equal(read.status, 200, version);
      const body = (await read.json()) as AnyJson;
      assert.equal(body.id, id);
      assert.deepEqual(bindings[version].validate(body), [], `${version} Patient`);
    }
  });

  it('drops what a version does not define when reading another version JSON, and says so', async () => {
    const created = await post(`${url}/r4/Observation`, {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'weight' },
      note: [{ text: 'R4 calls it note; STU3 has comment' }],
    });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as AnyJson;
    const before = dropped.length;
    const onStu3 = await fetch(`${url}/stu3/Observation/${id}`);
    assert.equal(onStu3.status, 200);
    const body = (await onStu3.json()) as AnyJson;
    assert.equal(body.note, undefined);
    assert.deepEqual(bindings.stu3.validate(body), []);
    assert.deepEqual(dropped.slice(before), [['Observation.note']]);
    const stu3Only = await post(`${url}/stu3/Patient`, {
      resourceType: 'Patient',
      animal: { species: { text: 'dog' } },
    });
    const onR4 = await fetch(`${url}/r4/Patient/${((await stu3Only.json()) as AnyJson).id}`);
    assert.equal(onR4.status, 500, 'R4 is configured to reject');
    assert.match(
      ((await onR4.json()) as AnyJson).issue[0].diagnostics,
      /R4 Patient service \(read\).*animal/,
    );
  });

  it('refuses invalid resources with the schema issues, and a wrong-typed service result with 500', async () => {
    const invalid = await post(`${url}/r4/Patient`, {
      resourceType: 'Patient',
      gender: 'robot',
      birthDate: 'soon',
    });
    assert.equal(invalid.status, 400);
    const issues = ((await invalid.json()) as AnyJson).issue.map((entry: AnyJson) => entry.expression?.[0]);
    assert.ok(
      issues.includes('Patient.gender') && issues.includes('Patient.birthDate'),
      JSON.stringify(issues),
    );
    const dstu2Invalid = await fetch(`${url}/dstu2/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/json+fhir' },
      body: JSON.stringify({ resourceType: 'Patient', gender: 'robot' }),
    });
    assert.equal(dstu2Invalid.status, 400);
    assert.deepEqual(((await dstu2Invalid.json()) as AnyJson).issue[0].location, ['Patient.gender']);
    const wrong = await fetch(`${url}/r4/Basic/x`);
    assert.equal(wrong.status, 500);
    assert.match(
      ((await wrong.json()) as AnyJson).issue[0].diagnostics,
      /R4 Basic service \(read\) returned a Observation/,
    );
  });

  it('searches R4 through the search module, with typed parameters and a valid searchset', async () => {
    await post(`${url}/r4/Patient`, { resourceType: 'Patient', gender: 'female', birthDate: '1985-06-01' });
    const response = await fetch(`${url}/r4/Patient?gender=female&birthdate=ge1980&birthdate=le1990`);
    assert.equal(response.status, 200);
    const bundle = (await response.json()) as AnyJson;
    assert.ok(bundle.entry.length >= 1);
    assert.ok(bundle.entry.every((entry: AnyJson) => entry.resource.gender === 'female'));
    assert.deepEqual(bindings.r4.validate(bundle), []);
    const bad = await fetch(`${url}/r4/Patient?birthdate=someday`);
    assert.equal(bad.status, 400);
  });

  it('runs a transaction with the real validators and casts, and its response Bundle is valid', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:8b9b8a1e-5c9e-4f1a-9d3c-5a2c0c1d2e3f',
          resource: { resourceType: 'Patient', gender: 'other' },
          request: { method: 'POST', url: 'Patient' },
        },
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'weight' },
            subject: { reference: 'urn:uuid:8b9b8a1e-5c9e-4f1a-9d3c-5a2c0c1d2e3f' },
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    };
    const response = await post(`${url}/r4`, bundle);
    assert.equal(response.status, 200);
    const body = (await response.json()) as AnyJson;
    assert.deepEqual(bindings.r4.validate(body), []);
    assert.match(body.entry[1].resource.subject.reference, /^Patient\/[0-9a-f-]{36}$/);
  });
});
