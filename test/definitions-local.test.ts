import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { c as createTar } from 'tar';
import { findCached, importArchive, loadLocalDefinitions } from '../src/definitions';
import { sharedFhirCache } from './support/fhir-cache';
import { type Registry, sharedFhirDir, startRegistry } from './support/registry';
import { rejection } from './support/rejection';
import { tempFolders } from './support/temp';

const sha256Of = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Writes `files` (path inside the archive -> text) as a gzipped tar. */
async function writeTgz(dir: string, name: string, files: Record<string, string>): Promise<string> {
  const root = path.join(dir, `${name}-content`);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  const archive = path.join(dir, `${name}.tgz`);
  await createTar({ gzip: true, file: archive, cwd: root, portable: true }, Object.keys(files));
  return archive;
}

describe('definitions: local sources (--definitions)', () => {
  const temp = tempFolders('local');
  let dstu2: string;
  let r4: string;
  before(async function () {
    this.timeout(180_000);
    const { cache } = await sharedFhirCache();
    dstu2 = path.join(cache, 'hl7.fhir.core#1.0.2', 'package');
    r4 = path.join(cache, 'hl7.fhir.r4.core#4.0.1', 'package');
  });
  after(() => temp.cleanup());

  it('reads a package .tgz, checked against --sha256', async () => {
    const file = path.join(sharedFhirDir(), 'hl7.fhir.us.core-3.1.0.tgz');
    const loaded = await loadLocalDefinitions(file, { sha256: sha256Of(file) });
    assert.equal(loaded.id.name, 'hl7.fhir.us.core');
    assert.equal(loaded.fhirVersion, '4.0.1');
    assert.ok(loaded.resources.some((resource) => resource.id === 'us-core-patient'));
    const error = await rejection(loadLocalDefinitions(file, { sha256: 'f'.repeat(64) }));
    assert.equal(error.code, 'FILE_CHECKSUM_MISMATCH');
    assert.equal(error.exitCode, 2);
  });

  it('reads a .zip of JSON files, unpacking its Bundles (as HL7 definitions.json.zip)', async () => {
    const zip = new AdmZip();
    zip.addFile('profiles-types.json', readFileSync(path.join(dstu2, 'Bundle-types.json')));
    zip.addFile(
      'valuesets/ValueSet-account-status.json',
      readFileSync(path.join(dstu2, 'ValueSet-account-status.json')),
    );
    zip.addFile('version.info', Buffer.from('[FHIR]\nversion=1.0.2\n'));
    const file = path.join(temp.make(), 'definitions.json.zip');
    zip.writeZip(file);
    const loaded = await loadLocalDefinitions(file);
    const bundle = JSON.parse(readFileSync(path.join(dstu2, 'Bundle-types.json'), 'utf8')) as {
      entry: unknown[];
    };
    assert.equal(loaded.fhirVersion, '1.0.2');
    assert.equal(
      loaded.resources.filter((r) => r.resourceType === 'StructureDefinition').length,
      bundle.entry.length,
    );
    assert.deepEqual(
      loaded.resources.filter((r) => r.resourceType === 'ValueSet').map((r) => r.id),
      ['account-status'],
    );
  });

  it('rejects a corrupt .zip with CORRUPT_ARCHIVE', async () => {
    const file = path.join(temp.make(), 'broken.zip');
    writeFileSync(file, 'PK\u0003\u0004 not really a zip');
    assert.equal((await rejection(loadLocalDefinitions(file))).code, 'CORRUPT_ARCHIVE');
  });

  it('reads a folder of JSON files', async () => {
    const dir = temp.make();
    const names = [
      'StructureDefinition-Patient.json',
      'StructureDefinition-HumanName.json',
      'ValueSet-administrative-gender.json',
    ];
    for (const name of names) copyFileSync(path.join(r4, name), path.join(dir, name));
    const loaded = await loadLocalDefinitions(dir);
    assert.equal(loaded.fhirVersion, '4.0.1');
    assert.deepEqual(loaded.resources.map((r) => `${r.resourceType}/${r.id}`).sort(), [
      'StructureDefinition/HumanName',
      'StructureDefinition/Patient',
      'ValueSet/administrative-gender',
    ]);
  });

  it('reads an unpacked package folder with its manifest', async () => {
    const loaded = await loadLocalDefinitions(path.dirname(dstu2));
    assert.equal(loaded.id.name, 'hl7.fhir.core');
    assert.equal(loaded.fhirVersion, '1.0.2');
  });

  it('reads a Bundle file', async () => {
    const entries = ['StructureDefinition-Observation.json', 'SearchParameter-Observation-category.json'].map(
      (name) => ({
        resource: JSON.parse(readFileSync(path.join(r4, name), 'utf8')),
      }),
    );
    const file = path.join(temp.make(), 'bundle.json');
    writeFileSync(file, JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: entries }));
    const loaded = await loadLocalDefinitions(file);
    assert.equal(loaded.fhirVersion, '4.0.1');
    assert.deepEqual(
      loaded.resources.map((r) => r.id),
      ['Observation', 'Observation-category'],
    );
  });

  it('names the JSON file that does not parse', async () => {
    const dir = temp.make();
    copyFileSync(
      path.join(r4, 'StructureDefinition-Patient.json'),
      path.join(dir, 'StructureDefinition-Patient.json'),
    );
    writeFileSync(path.join(dir, 'broken.json'), '{"resourceType": "ValueSet",');
    const error = await rejection(loadLocalDefinitions(dir));
    assert.equal(error.code, 'INVALID_JSON');
    assert.equal(error.location, path.join(dir, 'broken.json'));
    const archive = await writeTgz(temp.make(), 'bad', {
      'package/package.json': JSON.stringify({
        name: 'bad.json.pkg',
        version: '1.0.0',
        fhirVersions: ['4.0.1'],
      }),
      'package/ValueSet-x.json': '{ nope',
    });
    const fromArchive = await rejection(loadLocalDefinitions(archive));
    assert.equal(fromArchive.code, 'INVALID_JSON');
    assert.match(fromArchive.location ?? '', /package\/ValueSet-x\.json$/);
  });

  it('says what is wrong with a path it cannot use', async () => {
    const dir = temp.make();
    assert.equal(
      (await rejection(loadLocalDefinitions(path.join(dir, 'missing.tgz')))).code,
      'UNREADABLE_INPUT',
    );
    writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    assert.equal(
      (await rejection(loadLocalDefinitions(path.join(dir, 'notes.txt')))).code,
      'UNSUPPORTED_SOURCE',
    );
    assert.equal(
      (await rejection(loadLocalDefinitions(dir, { sha256: 'a'.repeat(64) }))).code,
      'INVALID_OPTION',
    );
    writeFileSync(path.join(dir, 'patient.json'), JSON.stringify({ resourceType: 'Patient', id: 'p' }));
    const unknown = await rejection(loadLocalDefinitions(path.join(dir, 'patient.json')));
    assert.equal(unknown.code, 'UNKNOWN_FHIR_VERSION');
  });

  describe('importing a local .tgz into the cache', () => {
    let registry: Registry | undefined;
    afterEach(async () => {
      await registry?.close();
      registry = undefined;
    });

    it('files it under its own name and fetches its dependencies', async () => {
      registry = await startRegistry();
      const cache = temp.make();
      const file = path.join(sharedFhirDir(), 'hl7.fhir.r2.examples-1.0.2.tgz');
      const got = await importArchive(file, { cache, registry: registry.url, sha256: sha256Of(file) });
      assert.deepEqual(
        got.map((entry) => `${entry.id.name}@${entry.id.version} ${entry.origin}`),
        ['hl7.fhir.r2.examples@1.0.2 file'],
      );
      assert.ok(findCached(cache, { name: 'hl7.fhir.r2.examples', version: '1.0.2' }));
      assert.deepEqual(registry.requests, []);
    });

    it('a path that does not exist: UNREADABLE_INPUT', async () => {
      registry = await startRegistry();
      const missing = path.join(temp.make(), 'missing.tgz');
      const error = await rejection(importArchive(missing, { cache: temp.make(), registry: registry.url }));
      assert.equal(error.code, 'UNREADABLE_INPUT');
      assert.equal(error.location, missing);
    });

    it('a package without package/package.json: MISSING_PACKAGE_JSON, cache clean', async () => {
      registry = await startRegistry();
      const cache = temp.make();
      const archive = await writeTgz(temp.make(), 'nomanifest', {
        'package/StructureDefinition-x.json': '{"resourceType":"StructureDefinition","id":"x"}',
      });
      const error = await rejection(importArchive(archive, { cache, registry: registry.url }));
      assert.equal(error.code, 'MISSING_PACKAGE_JSON');
      assert.deepEqual(readdirSync(cache), []);
      assert.equal((await rejection(loadLocalDefinitions(archive))).code, 'MISSING_PACKAGE_JSON');
    });

    it('a truncated archive: CORRUPT_ARCHIVE, cache clean', async () => {
      registry = await startRegistry();
      const cache = temp.make();
      const whole = readFileSync(path.join(sharedFhirDir(), 'hl7.fhir.r2.examples-1.0.2.tgz'));
      const archive = path.join(temp.make(), 'cut.tgz');
      writeFileSync(archive, whole.subarray(0, whole.length - 1000));
      const error = await rejection(importArchive(archive, { cache, registry: registry.url }));
      assert.equal(error.code, 'CORRUPT_ARCHIVE');
      assert.equal(error.location, archive);
      assert.deepEqual(readdirSync(cache), []);
    });

    it('a dependency name that could leave the cache folder: BAD_PACKAGE_SPEC, nothing fetched', async () => {
      registry = await startRegistry();
      const cache = temp.make();
      const archive = await writeTgz(temp.make(), 'sneaky', {
        'package/package.json': JSON.stringify({
          name: 'example.sneaky',
          version: '0.1.0',
          fhirVersions: ['4.0.1'],
          dependencies: { '../../outside': '1.0.0' },
        }),
      });
      const error = await rejection(importArchive(archive, { cache, registry: registry.url }));
      assert.equal(error.code, 'BAD_PACKAGE_SPEC');
      assert.match(error.message, /\.\.\/\.\.\/outside@1\.0\.0/);
      assert.deepEqual(registry.requests, []);
    });

    it('a dependency the registry does not have: DEPENDENCY_NOT_FOUND', async () => {
      registry = await startRegistry();
      const cache = temp.make();
      const archive = await writeTgz(temp.make(), 'needy', {
        'package/package.json': JSON.stringify({
          name: 'example.needy',
          version: '0.1.0',
          fhirVersions: ['4.0.1'],
          dependencies: { 'example.absent': '9.9.9' },
        }),
      });
      const error = await rejection(importArchive(archive, { cache, registry: registry.url }));
      assert.equal(error.code, 'DEPENDENCY_NOT_FOUND');
      assert.match(error.message, /example\.absent@9\.9\.9 of example\.needy@0\.1\.0/);
    });
  });
});
