import assert from 'node:assert/strict';
import table from '../definitions/packages.json';
import {
  CORE_VERSIONS,
  canonicalPackageKey,
  equivalentNames,
  fhirVersionId,
  fhirVersionOf,
  type PackageManifest,
  parsePackageSpec,
} from '../src/definitions';
import { FhirgenError } from '../src/errors';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof FhirgenError ? error.code : 'not a FhirgenError';
  }
  return undefined;
}

describe('definitions: package specs and aliases', () => {
  const given: [string, string, string][] = [
    ['r4', 'hl7.fhir.r4.core', '4.0.1'],
    ['R4', 'hl7.fhir.r4.core', '4.0.1'],
    ['stu3', 'hl7.fhir.core', '3.0.1'],
    ['r3', 'hl7.fhir.core', '3.0.1'],
    ['dstu2', 'hl7.fhir.core', '1.0.2'],
    ['r2', 'hl7.fhir.core', '1.0.2'],
    ['hl7.fhir.us.core@3.1.0', 'hl7.fhir.us.core', '3.1.0'],
    ['hl7.fhir.r3.core#3.0.1', 'hl7.fhir.r3.core', '3.0.1'],
  ];
  for (const [spec, name, version] of given) {
    it(`reads ${spec} as ${name}@${version}`, () => {
      assert.deepEqual(parsePackageSpec(spec), { name, version });
    });
  }

  it('says which aliases exist when given an unknown one', () => {
    assert.equal(
      codeOf(() => parsePackageSpec('r5')),
      'UNKNOWN_ALIAS',
    );
    assert.throws(
      () => parsePackageSpec('r5'),
      (error: FhirgenError) => error.hint?.includes('stu3') === true,
    );
  });

  for (const spec of ['hl7.fhir.us.core@', '@3.1.0', 'a b@1.0.0', 'x@1.0/..']) {
    it(`rejects the malformed spec "${spec}"`, () => {
      assert.equal(
        codeOf(() => parsePackageSpec(spec)),
        'BAD_PACKAGE_SPEC',
      );
    });
  }

  it('keeps the alias table as data in definitions/packages.json', () => {
    assert.deepEqual(
      CORE_VERSIONS.map((version) => version.id),
      table.versions.map((version) => version.id),
    );
    for (const version of CORE_VERSIONS) {
      assert.deepEqual(parsePackageSpec(version.id), version.package);
    }
  });

  it('knows both registry names of the old cores, the asked-for one first', () => {
    assert.deepEqual(equivalentNames({ name: 'hl7.fhir.r2.core', version: '1.0.2' }), [
      'hl7.fhir.r2.core',
      'hl7.fhir.core',
    ]);
    assert.deepEqual(equivalentNames({ name: 'hl7.fhir.core', version: '3.0.1' }), [
      'hl7.fhir.core',
      'hl7.fhir.r3.core',
    ]);
    assert.deepEqual(equivalentNames({ name: 'hl7.fhir.core', version: '4.0.1' }), ['hl7.fhir.core']);
    assert.equal(
      canonicalPackageKey({ name: 'hl7.fhir.r3.core', version: '3.0.1' }),
      canonicalPackageKey(parsePackageSpec('stu3')),
    );
    assert.notEqual(
      canonicalPackageKey({ name: 'hl7.fhir.r3.core', version: '3.0.2' }),
      canonicalPackageKey(parsePackageSpec('stu3')),
    );
  });

  it('maps FHIR versions to version ids', () => {
    assert.equal(fhirVersionId('4.0.1'), 'r4');
    assert.equal(fhirVersionId('4.0.0'), 'r4');
    assert.equal(fhirVersionId('3.0.2'), 'stu3');
    assert.equal(fhirVersionId('1.0.2'), 'dstu2');
    assert.equal(
      codeOf(() => fhirVersionId('5.0.0')),
      'UNKNOWN_FHIR_VERSION',
    );
    assert.equal(
      codeOf(() => fhirVersionId('4.0')),
      'UNKNOWN_FHIR_VERSION',
    );
  });
});

describe('definitions: the FHIR version of a package', () => {
  const given: [string, PackageManifest, string][] = [
    ['fhirVersions', { name: 'hl7.fhir.us.core', version: '3.1.0', fhirVersions: ['4.0.1'] }, '4.0.1'],
    ['fhir-version-list', { name: 'x.y', version: '1.0.0', 'fhir-version-list': ['3.0.1'] }, '3.0.1'],
    ['a core package, by its own version', { name: 'hl7.fhir.core', version: '1.0.2' }, '1.0.2'],
    ['a core package under its newer name', { name: 'hl7.fhir.r3.core', version: '3.0.2' }, '3.0.2'],
    [
      'its core dependency',
      { name: 'x.ig', version: '2.0.0', dependencies: { 'hl7.fhir.r4.core': '4.0.1' } },
      '4.0.1',
    ],
    ['nothing', { name: 'x.ig', version: '2.0.0', dependencies: { 'other.ig': '1.0.0' } }, ''],
  ];
  for (const [what, manifest, want] of given) {
    it(`from ${what}`, () => assert.equal(fhirVersionOf(manifest), want));
  }
});
