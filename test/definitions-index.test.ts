import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { DefinitionIndex, type FhirResourceJson, type LoadedPackage } from '../src/definitions';
import { sharedPackages } from './support/fhir-cache';

function tinyPackage(name: string, resources: FhirResourceJson[]): LoadedPackage {
  return {
    id: { name, version: '1.0.0' },
    manifest: { name, version: '1.0.0' },
    fhirVersion: '4.0.1',
    resources,
    source: name,
  };
}

/** Files named `<Type>-*.json` in an unpacked package: what the package holds once, outside Bundles. */
function filesOfType(dir: string, type: string): number {
  return readdirSync(`${dir}/package`).filter((name) => name.startsWith(`${type}-`)).length;
}

describe('definitions: the index by canonical URL and type', () => {
  it('lets the first package win and resolves url|version', () => {
    const first = tinyPackage('first', [
      { resourceType: 'ValueSet', id: 'a1', url: 'http://x/ValueSet/a', version: '1' },
      { resourceType: 'ValueSet', id: 'a2', url: 'http://x/ValueSet/a', version: '2' },
    ]);
    const second = tinyPackage('second', [
      { resourceType: 'ValueSet', id: 'b', url: 'http://x/ValueSet/a', version: '3' },
      { resourceType: 'CodeSystem', id: 'c', url: 'http://x/CodeSystem/c' },
      { resourceType: 'ValueSet', id: 'a1', url: 'http://x/ValueSet/a', version: '1' },
    ]);
    const index = new DefinitionIndex([first, second]);
    assert.equal(index.resolve('http://x/ValueSet/a')?.id, 'a1');
    assert.equal(index.resolve('http://x/ValueSet/a|2')?.id, 'a2');
    assert.equal(index.resolve('http://x/ValueSet/a|3')?.id, 'b');
    assert.equal(
      index.resolve('http://x/ValueSet/a|9')?.id,
      'a1',
      'an unknown version falls back to the url',
    );
    assert.equal(index.resolve('http://x/ValueSet/none'), undefined);
    assert.equal(
      index.packageOf(index.resolve('http://x/CodeSystem/c') as FhirResourceJson)?.id.name,
      'second',
    );
    assert.deepEqual(
      index.ofType('ValueSet').map((resource) => resource.id),
      ['a1', 'a2', 'b'],
      'the same url and version from a second package is left out',
    );
    assert.deepEqual(index.types(), ['CodeSystem', 'ValueSet']);
  });

  it('holds each DSTU2 and STU3 definition once, though the packages carry them twice', async function () {
    this.timeout(180_000);
    for (const spec of ['dstu2', 'stu3']) {
      const [core] = await sharedPackages(spec);
      assert.ok(core);
      const index = new DefinitionIndex([core]);
      for (const type of ['StructureDefinition', 'SearchParameter']) {
        assert.equal(index.ofType(type).length, filesOfType(core.source, type), `${spec} ${type}`);
      }
      assert.equal(index.ofType('Bundle').length, 0, 'definition Bundles are unpacked, not kept');
      const urls = index.ofType('StructureDefinition').map((definition) => definition.url);
      assert.equal(new Set(urls).size, urls.length);
    }
    assert.equal(
      new DefinitionIndex(await sharedPackages('dstu2')).ofType('StructureDefinition').length,
      534,
    );
  });

  it('resolves US Core profiles and the R4 core it depends on', async function () {
    this.timeout(180_000);
    const packages = await sharedPackages('hl7.fhir.us.core@3.1.0');
    assert.deepEqual(
      packages.map((pkg) => pkg.id.name),
      ['hl7.fhir.us.core', 'hl7.fhir.r4.core'],
    );
    const index = new DefinitionIndex(packages);
    const profile = index.resolve('http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient');
    assert.equal(profile?.type, 'Patient');
    assert.equal(index.packageOf(profile as FhirResourceJson)?.id.name, 'hl7.fhir.us.core');
    const base = index.resolve(String(profile?.baseDefinition));
    assert.equal(base?.id, 'Patient');
    assert.equal(index.packageOf(base as FhirResourceJson)?.id.name, 'hl7.fhir.r4.core');
    assert.equal(index.resolve('http://hl7.org/fhir/StructureDefinition/Patient|4.0.1'), base);
    assert.equal(
      index.ofType('StructureDefinition').filter((d) => index.packageOf(d)?.id.name === 'hl7.fhir.r4.core')
        .length,
      658,
    );
  });
});
