import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensurePackages, fetchPackages, findCached, readPackageArchive } from '../src/definitions';
import { sharedFhirCache } from './support/fhir-cache';
import { type Registry, refusedUrl, sharedFhirDir, startRegistry } from './support/registry';
import { rejection } from './support/rejection';
import { tempFolders } from './support/temp';

const EXAMPLES = 'hl7.fhir.r2.examples@1.0.2';

describe('definitions: fetching from a registry', () => {
  const temp = tempFolders('fetch');
  let registry: Registry | undefined;
  afterEach(async () => {
    await registry?.close();
    registry = undefined;
  });
  after(() => temp.cleanup());

  it('fetches the three cores and US Core with its dependency, each once; a second fetch makes no request', async function () {
    this.timeout(180_000);
    // The shared test cache is filled by exactly this fetch, through the loopback registry.
    const shared = await sharedFhirCache();
    assert.deepEqual(shared.setupResult, [
      'hl7.fhir.r4.core@4.0.1 registry',
      'hl7.fhir.core@3.0.1 registry',
      'hl7.fhir.core@1.0.2 registry',
      'hl7.fhir.us.core@3.1.0 registry',
    ]);
    // Each package: its npm-style document, then its tarball. r4 is not fetched again for US Core.
    const tarballs = shared.setupRequests.filter((request) => /^GET \/[^/]+\/[^/]+$/.test(request));
    assert.deepEqual([...tarballs].sort(), [
      'GET /hl7.fhir.core/1.0.2',
      'GET /hl7.fhir.core/3.0.1',
      'GET /hl7.fhir.r4.core/4.0.1',
      'GET /hl7.fhir.us.core/3.1.0',
    ]);
    const folders = readdirSync(shared.cache);
    for (const folder of [
      'hl7.fhir.core#1.0.2',
      'hl7.fhir.core#3.0.1',
      'hl7.fhir.r4.core#4.0.1',
      'hl7.fhir.us.core#3.1.0',
    ]) {
      assert.ok(folders.includes(folder), folder);
    }
    assert.deepEqual(
      folders.filter((name) => name.startsWith('.')),
      [],
      'no temporary files left behind',
    );

    registry = await startRegistry();
    const loaded = await fetchPackages(['r4', 'stu3', 'dstu2', 'hl7.fhir.us.core@3.1.0'], {
      registry: registry.url,
      cache: shared.cache,
    });
    assert.deepEqual(registry.requests, [], 'a second fetch makes no request');
    assert.deepEqual(
      loaded.map((pkg) => `${pkg.id.name}@${pkg.id.version} FHIR ${pkg.fhirVersion}`),
      [
        'hl7.fhir.r4.core@4.0.1 FHIR 4.0.1',
        'hl7.fhir.core@3.0.1 FHIR 3.0.1',
        'hl7.fhir.core@1.0.2 FHIR 1.0.2',
        'hl7.fhir.us.core@3.1.0 FHIR 4.0.1',
      ],
    );
    const us = loaded.find((pkg) => pkg.id.name === 'hl7.fhir.us.core');
    assert.deepEqual(us?.manifest.dependencies, { 'hl7.fhir.r4.core': '4.0.1' });
    // What the cache holds is what the archive held.
    const fromArchive = await readPackageArchive(path.join(sharedFhirDir(), 'hl7.fhir.us.core-3.1.0.tgz'));
    assert.deepEqual(
      us?.resources.map((resource) => `${resource.resourceType}/${resource.id}`).sort(),
      fromArchive.resources.map((resource) => `${resource.resourceType}/${resource.id}`).sort(),
    );
  });

  it('finds the old cores under either name and returns one package for both', async function () {
    this.timeout(180_000);
    const { cache } = await sharedFhirCache();
    registry = await startRegistry();
    const got = await ensurePackages(['hl7.fhir.r2.core@1.0.2', 'dstu2', 'hl7.fhir.r3.core@3.0.1'], {
      registry: registry.url,
      cache,
    });
    assert.deepEqual(
      got.map((entry) => `${entry.id.name}@${entry.id.version} ${entry.origin}`),
      ['hl7.fhir.r2.core@1.0.2 cache', 'hl7.fhir.r3.core@3.0.1 cache'],
    );
    assert.deepEqual(registry.requests, []);
  });

  it('downloads <registry>/<name>/<version> when the registry has no package document', async () => {
    registry = await startRegistry({ documents: false });
    const cache = temp.make();
    const [entry] = await ensurePackages([EXAMPLES], { registry: registry.url, cache });
    assert.equal(entry?.origin, 'registry');
    assert.deepEqual(registry.requests, ['GET /hl7.fhir.r2.examples', 'GET /hl7.fhir.r2.examples/1.0.2']);
    assert.ok(findCached(cache, { name: 'hl7.fhir.r2.examples', version: '1.0.2' }));
  });

  it('falls back to the other name of an old core', async function () {
    this.timeout(60_000);
    registry = await startRegistry({ faults: { 'hl7.fhir.r2.core': { kind: 'not-found' } } });
    const cache = temp.make();
    const [entry] = await ensurePackages(['hl7.fhir.r2.core@1.0.2'], { registry: registry.url, cache });
    assert.equal(entry?.manifest.name, 'hl7.fhir.core');
    assert.ok(registry.requests.includes('GET /hl7.fhir.core/1.0.2'));
    assert.deepEqual(readdirSync(cache), ['hl7.fhir.r2.core#1.0.2']);
  });

  it('checks --sha256 against the downloaded archive', async () => {
    registry = await startRegistry();
    const cache = temp.make();
    const wrong = '0'.repeat(64);
    const error = await rejection(
      ensurePackages([EXAMPLES], { registry: registry.url, cache, sha256: wrong }),
    );
    assert.equal(error.code, 'CHECKSUM_MISMATCH');
    assert.deepEqual(readdirSync(cache), []);
    assert.equal(
      (await rejection(ensurePackages([EXAMPLES], { registry: registry.url, cache, sha256: 'abc' }))).code,
      'INVALID_OPTION',
    );
  });

  it('checks --sha256 of a cached package against the archive it was unpacked from', async () => {
    registry = await startRegistry();
    const cache = temp.make();
    const file = path.join(sharedFhirDir(), 'hl7.fhir.r2.examples-1.0.2.tgz');
    const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
    const [downloaded] = await ensurePackages([EXAMPLES], { registry: registry.url, cache, sha256 });
    assert.equal(downloaded?.origin, 'registry');
    const [cached] = await ensurePackages([EXAMPLES], { registry: registry.url, cache, sha256 });
    assert.equal(cached?.origin, 'cache');
    const other = sha256.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const error = await rejection(
      ensurePackages([EXAMPLES], { registry: registry.url, cache, sha256: other }),
    );
    assert.equal(error.code, 'CHECKSUM_MISMATCH');
    assert.equal(error.location, cached?.dir);
  });

  it('retries a 503 and then succeeds', async () => {
    registry = await startRegistry({
      faults: { 'hl7.fhir.r2.examples': { kind: 'status', status: 503, times: 1 } },
    });
    const cache = temp.make();
    const [entry] = await ensurePackages([EXAMPLES], { registry: registry.url, cache });
    assert.equal(entry?.origin, 'registry');
    const tarballs = registry.requests.filter((request) => request === 'GET /hl7.fhir.r2.examples/1.0.2');
    assert.equal(tarballs.length, 2);
  });

  it('removes temporary entries of runs that were killed over an hour ago, and only those', async () => {
    registry = await startRegistry();
    const cache = temp.make();
    // 4194305 is above Linux's highest pid (2^22), so no process has it.
    const abandoned = path.join(cache, '.fhirgen-tmp-4194305-aaaaaa');
    const recent = path.join(cache, '.fhirgen-tmp-4194305-bbbbbb.tgz');
    const running = path.join(cache, `.fhirgen-tmp-${process.pid}-cccccc`);
    mkdirSync(path.join(abandoned, 'package'), { recursive: true });
    writeFileSync(recent, 'partial');
    mkdirSync(running);
    const twoHoursAgo = new Date(Date.now() - 7_200_000);
    utimesSync(abandoned, twoHoursAgo, twoHoursAgo);
    utimesSync(running, twoHoursAgo, twoHoursAgo);
    await ensurePackages([EXAMPLES], { registry: registry.url, cache });
    assert.deepEqual(
      readdirSync(cache).sort(),
      [
        '.fhirgen-tmp-4194305-bbbbbb.tgz',
        `.fhirgen-tmp-${process.pid}-cccccc`,
        'hl7.fhir.r2.examples#1.0.2',
      ].sort(),
    );
  });

  describe('failures leave the cache clean', () => {
    let cache: string;
    beforeEach(() => {
      cache = temp.make();
    });
    afterEach(() => {
      assert.deepEqual(readdirSync(cache), [], 'no package folder, no temporary file');
    });

    it('404: PACKAGE_NOT_FOUND, not retried', async () => {
      registry = await startRegistry();
      const error = await rejection(
        ensurePackages(['no.such.package@1.0.0'], { registry: registry.url, cache }),
      );
      assert.equal(error.code, 'PACKAGE_NOT_FOUND');
      assert.match(error.describe(), /no\.such\.package@1\.0\.0 is not in the registry/);
      assert.deepEqual(registry.requests, ['GET /no.such.package', 'GET /no.such.package/1.0.0']);
    });

    it('refused connection: REGISTRY_UNREACHABLE', async () => {
      const url = await refusedUrl();
      const error = await rejection(ensurePackages([EXAMPLES], { registry: url, cache }));
      assert.equal(error.code, 'REGISTRY_UNREACHABLE');
      assert.equal(error.exitCode, 3);
      assert.match(error.describe(), /cannot connect to the package registry/);
    });

    it('truncated archive: CORRUPT_ARCHIVE naming the download', async () => {
      registry = await startRegistry({ faults: { 'hl7.fhir.r2.examples': { kind: 'truncate' } } });
      const error = await rejection(ensurePackages([EXAMPLES], { registry: registry.url, cache }));
      assert.equal(error.code, 'CORRUPT_ARCHIVE');
      assert.equal(error.location, `${registry.url}/hl7.fhir.r2.examples/1.0.2`);
    });

    it('checksum mismatch with the package document: CHECKSUM_MISMATCH', async () => {
      registry = await startRegistry({ faults: { 'hl7.fhir.r2.examples': { kind: 'bad-checksum' } } });
      const error = await rejection(ensurePackages([EXAMPLES], { registry: registry.url, cache }));
      assert.equal(error.code, 'CHECKSUM_MISMATCH');
      assert.match(error.message, /dist\.shasum/);
    });

    it('connection dropped mid-download: retried a bounded number of times, then REGISTRY_ERROR', async () => {
      registry = await startRegistry({ faults: { 'hl7.fhir.r2.examples': { kind: 'reset' } } });
      const error = await rejection(
        ensurePackages([EXAMPLES], { registry: registry.url, cache, attempts: 2 }),
      );
      assert.equal(error.code, 'REGISTRY_ERROR');
      const tarballs = registry.requests.filter((request) => request === 'GET /hl7.fhir.r2.examples/1.0.2');
      assert.equal(tarballs.length, 2);
    });

    it('slow registry: REGISTRY_TIMEOUT', async () => {
      registry = await startRegistry({
        faults: { 'hl7.fhir.r2.examples': { kind: 'slow', delayMs: 5_000 } },
      });
      const error = await rejection(
        ensurePackages([EXAMPLES], { registry: registry.url, cache, timeoutMs: 100, attempts: 2 }),
      );
      assert.equal(error.code, 'REGISTRY_TIMEOUT');
    });

    it('a dependency that cannot be found: DEPENDENCY_NOT_FOUND naming both packages', async () => {
      registry = await startRegistry({ faults: { 'hl7.fhir.r4.core': { kind: 'not-found' } } });
      const error = await rejection(
        ensurePackages(['hl7.fhir.us.core@3.1.0'], { registry: registry.url, cache }),
      );
      assert.equal(error.code, 'DEPENDENCY_NOT_FOUND');
      assert.match(error.message, /hl7\.fhir\.r4\.core@4\.0\.1 of hl7\.fhir\.us\.core@3\.1\.0/);
      // US Core itself was complete and stays cached; only the missing dependency is absent.
      assert.deepEqual(readdirSync(cache), ['hl7.fhir.us.core#3.1.0']);
      cache = temp.make();
    });
  });
});
