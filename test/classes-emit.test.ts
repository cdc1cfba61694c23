import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { emitClasses } from '../src/emit/classes/index';
import { tinyModel } from './fixtures/classes/tiny-model';

/** Emits the tiny model of both "versions" into a temp folder and loads them as modules. */
function emitTo(root: string, id: 'r4' | 'stu3'): void {
  for (const [file, text] of emitClasses(tinyModel(id))) {
    const target = path.join(root, id, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
}

interface Castable {
  toJSON(): Record<string, unknown>;
  [key: string]: unknown;
}
interface Report {
  dropped: { path: string; reason: string }[];
}
interface VersionModule {
  fromJSON(json: unknown, report?: Report): Castable;
  castAs(type: string, json: unknown, report?: Report): Castable;
  isResourceType(name: string): boolean;
  resourceTypes: readonly string[];
  Patient: new (json: unknown, report?: Report) => Castable;
  Bundle: new (json: unknown) => Castable;
  HumanName: new (json: unknown) => Castable;
  Quantity: new (json: unknown) => Castable;
  Element: new (json: unknown) => Castable;
}

describe('class emitter on a tiny model', () => {
  let root: string;
  let r4: VersionModule;
  let stu3: VersionModule;

  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'fhirgen-classes-'));
    emitTo(root, 'r4');
    emitTo(root, 'stu3');
    r4 = require(path.join(root, 'r4', 'index.ts'));
    stu3 = require(path.join(root, 'stu3', 'index.ts'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('emits one file per class plus the entry files', () => {
    const files = [...emitClasses(tinyModel()).keys()];
    for (const name of [
      'Patient',
      'PatientContact',
      'Bundle',
      'BundleEntry',
      'HumanName',
      'Extension',
      'Element',
    ]) {
      assert.ok(files.includes(`classes/${name}.ts`), name);
    }
    for (const entry of [
      'index.ts',
      'classes/index.ts',
      'classes/resources.ts',
      'runtime/index.ts',
      'runtime/model.ts',
      'runtime/read.ts',
      'runtime/write.ts',
      'version.ts',
    ]) {
      assert.ok(files.includes(entry), entry);
    }
    assert.deepEqual(r4.resourceTypes, ['Bundle', 'Observation', 'Patient']);
  });

  it('types elements exactly: literal resourceType, code unions, T | undefined, T[]', () => {
    const patient = emitClasses(tinyModel()).get('classes/Patient.ts') as string;
    assert.match(patient, /declare readonly resourceType: 'Patient';/);
    assert.match(patient, /declare gender: AdministrativeGender \| undefined;/);
    assert.match(patient, /declare name: HumanName\[\];/);
    assert.match(patient, /declare contained: AnyResource\[\];/);
    assert.match(patient, /\/\*\* short of Patient\.birthDate \(0\.\.1\) \*\//);
    const observation = emitClasses(tinyModel()).get('classes/Observation.ts') as string;
    assert.match(observation, /declare status: ObservationStatus;/);
    assert.match(observation, /declare valueQuantity: Quantity \| undefined;/);
    const valueSets = emitClasses(tinyModel()).get('valuesets.ts') as string;
    assert.match(valueSets, /export type AdministrativeGender = 'male' \| 'female' \| 'other' \| 'unknown';/);
  });

  it('is deterministic', () => {
    assert.deepEqual([...emitClasses(tinyModel())], [...emitClasses(tinyModel())]);
  });

  it('compiles under strict tsc', function () {
    this.timeout(60000);
    const config = path.join(root, 'tsconfig.json');
    writeFileSync(
      config,
      JSON.stringify({ extends: path.resolve('tsconfig.generated.json'), include: ['*/**/*.ts'] }),
    );
    try {
      execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', config], {
        stdio: 'pipe',
      });
    } catch (error) {
      assert.fail(String((error as { stdout?: Buffer }).stdout ?? error));
    }
  });

  it('round-trips JSON in canonical order, keeping choices and primitive extensions', () => {
    const json = {
      resourceType: 'Patient',
      birthDate: '1970-01-01',
      _birthDate: { extension: [{ url: 'http://x', valueString: 'approx' }] },
      name: [{ given: ['A', null, 'C'], _given: [null, { id: 'g2' }, null], family: 'F' }],
      id: 'p1',
      contained: [
        { resourceType: 'Observation', status: 'final', valueQuantity: { value: 1.5, unit: 'kg' } },
      ],
    };
    const patient = r4.fromJSON(json);
    const out = patient.toJSON();
    assert.deepEqual(out, json);
    assert.deepEqual(Object.keys(out), [
      'resourceType',
      'id',
      'contained',
      'name',
      'birthDate',
      '_birthDate',
    ]);
    assert.deepEqual(Object.keys((out.name as object[])[0] as object), ['family', 'given', '_given']);
  });

  it('builds children as class instances and dispatches contained resources by resourceType', () => {
    const patient = r4.fromJSON({
      resourceType: 'Patient',
      name: [{ family: 'F' }],
      _birthDate: { id: 'b' },
      contained: [{ resourceType: 'Observation', status: 'final', valueQuantity: { value: 2 } }],
    });
    assert.ok(patient instanceof r4.Patient);
    assert.ok((patient.name as unknown[])[0] instanceof r4.HumanName);
    assert.ok(patient._birthDate instanceof r4.Element);
    const observation = (patient.contained as Castable[])[0] as Castable;
    assert.equal(observation.resourceType, 'Observation');
    assert.ok(observation.valueQuantity instanceof r4.Quantity);
  });

  it('dispatches Bundle entries and loads a class file on its own without cycle trouble', () => {
    const bundleModule = require(path.join(root, 'r4', 'classes', 'Bundle.ts')) as VersionModule;
    const bundle = new bundleModule.Bundle({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ fullUrl: 'urn:1', resource: { resourceType: 'Patient', active: true } }],
    });
    const entry = (bundle.entry as Castable[])[0] as Castable;
    assert.equal((entry.resource as Castable).resourceType, 'Patient');
    assert.equal((entry.resource as Castable).active, true);
  });

  it('drops unknown properties and wrong JSON types, and reports their paths', () => {
    const report: Report = { dropped: [] };
    const patient = r4.fromJSON(
      {
        resourceType: 'Patient',
        nickname: 'x',
        active: 'yes',
        name: [{ family: 'F', middle: 'M' }],
        contact: [{ gender: 'male', phone: '1' }],
      },
      report,
    );
    assert.deepEqual(report.dropped.map((d) => `${d.path} ${d.reason}`).sort(), [
      'Patient.active wrong-json-type',
      'Patient.contact[0].phone unknown-property',
      'Patient.name[0].middle unknown-property',
      'Patient.nickname unknown-property',
    ]);
    assert.deepEqual(patient.toJSON(), {
      resourceType: 'Patient',
      name: [{ family: 'F' }],
      contact: [{ gender: 'male' }],
    });
  });

  it('rejects a wrong, missing or unknown resourceType with a typed error naming version and type', () => {
    assert.throws(
      () => new r4.Patient({ resourceType: 'Observation' }),
      (error: Error & { code?: string; version?: string }) =>
        error.code === 'WRONG_RESOURCE_TYPE' && error.version === 'r4' && /R4 4\.0\.1/.test(error.message),
    );
    assert.throws(
      () => r4.castAs('Patient', { resourceType: 'Observation', status: 'final' }),
      (error: Error & { code?: string }) => error.code === 'WRONG_RESOURCE_TYPE',
    );
    assert.throws(
      () => r4.fromJSON({ resourceType: 'Basic' }),
      (error: Error & { code?: string; resourceType?: string }) =>
        error.code === 'UNKNOWN_RESOURCE_TYPE' &&
        error.resourceType === 'Basic' &&
        /Basic/.test(error.message),
    );
    assert.throws(
      () => r4.fromJSON({ id: 'x' }),
      (error: Error & { code?: string }) => error.code === 'MISSING_RESOURCE_TYPE',
    );
    assert.throws(
      () => r4.fromJSON({ resourceType: 'Patient', contained: [{ resourceType: 'Nope' }] }),
      (error: Error & { code?: string; path?: string }) =>
        error.code === 'UNKNOWN_RESOURCE_TYPE' && error.path === 'Patient.contained[0]',
    );
    assert.equal(r4.isResourceType('Patient'), true);
    assert.equal(r4.isResourceType('Resource'), false);
  });

  it('casts the same JSON differently per version', () => {
    const json = { resourceType: 'Patient', active: true, gender: 'female' };
    const report: Report = { dropped: [] };
    assert.deepEqual(r4.fromJSON(json).toJSON(), json);
    assert.deepEqual(stu3.fromJSON(json, report).toJSON(), { resourceType: 'Patient', gender: 'female' });
    assert.deepEqual(report.dropped, [{ path: 'Patient.active', reason: 'unknown-property' }]);
    assert.throws(() => new stu3.Patient(json).toJSON() && r4.castAs('Bundle', json), /STU3|R4/);
  });

  it('leaves out empty arrays and objects when writing JSON', () => {
    const patient = r4.fromJSON({ resourceType: 'Patient', name: [{}], extension: [], _birthDate: {} });
    assert.deepEqual(patient.toJSON(), { resourceType: 'Patient' });
    assert.deepEqual(patient.name, [new r4.HumanName({})]);
  });
});
