import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type FhirResourceJson, readPackageFolder } from '../src/definitions';
import { sharedFhirCache } from './support/fhir-cache';
import { rejection } from './support/rejection';
import { tempFolders } from './support/temp';

const sd = (id: string): FhirResourceJson => ({
  resourceType: 'StructureDefinition',
  id,
  url: `http://example.org/StructureDefinition/${id}`,
  fhirVersion: '4.0.1',
});

/** A package folder as the cache holds it: `<dir>/package/*.json`. */
function writePackage(dir: string, files: Record<string, unknown>): string {
  mkdirSync(path.join(dir, 'package'), { recursive: true });
  const manifest = { name: 'example.tiny', version: '1.0.0', fhirVersions: ['4.0.1'] };
  writeFileSync(path.join(dir, 'package', 'package.json'), JSON.stringify(manifest));
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(
      path.join(dir, 'package', name),
      typeof content === 'string' ? content : JSON.stringify(content),
    );
  }
  return dir;
}

const ids = (resources: FhirResourceJson[]) => resources.map((r) => `${r.resourceType}/${r.id}`).sort();

describe('definitions: reading cached package folders', () => {
  const temp = tempFolders('folder');
  after(() => temp.cleanup());

  it('indexes a folder on first read, then skips Bundles that only repeat files', async () => {
    const dir = writePackage(temp.make(), {
      'StructureDefinition-a.json': sd('a'),
      'StructureDefinition-b.json': sd('b'),
      'Bundle-types.json': {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [{ resource: sd('a') }, { resource: sd('b') }],
      },
      'ValueSet-v.json': { resourceType: 'ValueSet', id: 'v', url: 'http://example.org/ValueSet/v' },
    });
    const first = readPackageFolder(dir);
    assert.deepEqual(ids(first.resources), ['StructureDefinition/a', 'StructureDefinition/b', 'ValueSet/v']);
    assert.ok(existsSync(path.join(dir, '.fhirgen-index.json')));
    // Were the Bundle read again, this would fail to parse.
    writeFileSync(path.join(dir, 'package', 'Bundle-types.json'), '{ not json');
    assert.deepEqual(ids(readPackageFolder(dir).resources), ids(first.resources));
  });

  it('reads only the resource types asked for, without parsing the others', () => {
    const dir = writePackage(temp.make(), {
      'StructureDefinition-a.json': sd('a'),
      'ConceptMap-m.json': { resourceType: 'ConceptMap', id: 'm', url: 'http://example.org/ConceptMap/m' },
      'ValueSet-v.json': { resourceType: 'ValueSet', id: 'v', url: 'http://example.org/ValueSet/v' },
    });
    const unindexed = readPackageFolder(dir, { resourceTypes: ['StructureDefinition', 'ValueSet'] });
    assert.deepEqual(ids(unindexed.resources), ['StructureDefinition/a', 'ValueSet/v']);
    writeFileSync(path.join(dir, 'package', 'ConceptMap-m.json'), '{ not json');
    const indexed = readPackageFolder(dir, { resourceTypes: ['StructureDefinition', 'ValueSet'] });
    assert.deepEqual(ids(indexed.resources), ids(unindexed.resources));
  });

  it('keeps Bundle entries that are not also files', () => {
    const dir = writePackage(temp.make(), {
      'StructureDefinition-a.json': sd('a'),
      'Bundle-more.json': {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [{ resource: sd('a') }, { resource: sd('c') }],
      },
    });
    assert.deepEqual(ids(readPackageFolder(dir).resources), [
      'StructureDefinition/a',
      'StructureDefinition/c',
    ]);
    assert.deepEqual(ids(readPackageFolder(dir).resources), [
      'StructureDefinition/a',
      'StructureDefinition/c',
    ]);
  });

  it('ignores an index that no longer lists the folder, and names a file that does not parse', async () => {
    const dir = writePackage(temp.make(), { 'StructureDefinition-a.json': sd('a') });
    readPackageFolder(dir);
    writeFileSync(path.join(dir, 'package', 'StructureDefinition-d.json'), JSON.stringify(sd('d')));
    assert.deepEqual(ids(readPackageFolder(dir).resources), [
      'StructureDefinition/a',
      'StructureDefinition/d',
    ]);
    writeFileSync(path.join(dir, 'package', 'ValueSet-broken.json'), '{"resourceType":');
    const error = await rejection(Promise.resolve().then(() => readPackageFolder(dir)));
    assert.equal(error.code, 'INVALID_JSON');
    assert.equal(error.location, path.join(dir, 'package', 'ValueSet-broken.json'));
  });

  it('reads the same resources from a real core with and without its index', async function () {
    this.timeout(180_000);
    const { cache } = await sharedFhirCache();
    const copy = temp.make();
    const source = path.join(cache, 'hl7.fhir.core#1.0.2');
    cpSync(source, copy, { recursive: true });
    rmSync(path.join(copy, '.fhirgen-index.json'), { force: true });
    const unindexed = readPackageFolder(copy);
    const indexed = readPackageFolder(copy);
    assert.deepEqual(ids(indexed.resources), ids(unindexed.resources));
    const types = ['StructureDefinition', 'SearchParameter'];
    const filtered = readPackageFolder(copy, { resourceTypes: types });
    assert.deepEqual(
      ids(filtered.resources),
      ids(unindexed.resources.filter((resource) => types.includes(resource.resourceType))),
    );
  });
});
