/**
 * A project generated for several versions but configured to serve fewer (`FHIR_VERSIONS`, or
 * `versions` in fhirgen.config.json) indexes and mounts only the versions it serves: the index of a
 * version no route searches would cost every write for nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startProject } from '../../src/runtime/app/run';
import type { VersionModule } from '../../src/runtime/app/types';
import { storeServices } from '../../src/runtime/store/store-service';
import { generatedBinding, generatedSearchTables } from './fixtures/generated';

function module(version: 'r4' | 'stu3', onTablesRead: () => void): VersionModule {
  const tables = generatedSearchTables(version);
  return {
    binding: generatedBinding(version),
    basePath: `/${version}`,
    get searchTables() {
      onTablesRead();
      return tables;
    },
    createServices: ({ store }) => storeServices(store, ['Patient']),
  };
}

describe('versions a project serves', () => {
  it('indexes and mounts only the configured versions of those generated', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-served-'));
    writeFileSync(path.join(dir, 'fhirgen.config.json'), '{}');
    const read: string[] = [];
    const project = await startProject({
      projectDir: dir,
      versions: [module('r4', () => read.push('r4')), module('stu3', () => read.push('stu3'))],
      env: {
        PORT: '0',
        HOST: '127.0.0.1',
        STORE: 'sqlite',
        STORE_PATH: path.join(dir, 'fhir.sqlite'),
        SECURITY: 'off',
        TRANSPORT: 'http',
        LOG_LEVEL: 'silent',
        FHIR_VERSIONS: 'r4',
      },
    });
    try {
      const headers = { 'content-type': 'application/fhir+json' };
      const created = await fetch(`${project.url}/r4/Patient`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Served' }] }),
      });
      assert.equal(created.status, 201);
      const found = (await (await fetch(`${project.url}/r4/Patient?family=served`)).json()) as {
        total: number;
      };
      assert.equal(found.total, 1);
      assert.equal((await fetch(`${project.url}/stu3/Patient?family=served`)).status, 404);
      assert.ok(read.includes('r4'), 'the served version is indexed');
      assert.ok(!read.includes('stu3'), 'the version not served is not indexed');
    } finally {
      await project.shutdown(1000);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
