/** The committed generated classes of the three versions: strict compilation and casting behaviour. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

interface Report {
  dropped: { path: string; reason: string }[];
}
interface Cast {
  toJSON(): Record<string, unknown>;
  [key: string]: unknown;
}
interface GeneratedVersion {
  fromJSON(json: unknown, report?: Report): Cast;
  castAs(type: string, json: unknown, report?: Report): Cast;
  resourceTypes: readonly string[];
  fhirVersion: { id: string; fhirVersion: string };
  [name: string]: unknown;
}

const load = (version: string): GeneratedVersion =>
  require(path.resolve(__dirname, '..', 'generated', version, 'index.ts'));
const codeOf = (error: unknown) => (error as { code?: string }).code;

describe('generated classes', () => {
  const r4 = load('r4');
  const stu3 = load('stu3');
  const dstu2 = load('dstu2');

  it('compile under strict tsc (tsconfig.generated.json), all three versions', function () {
    this.timeout(180_000);
    try {
      execFileSync(
        process.execPath,
        [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.generated.json'],
        {
          cwd: path.resolve(__dirname, '..'),
          stdio: 'pipe',
        },
      );
    } catch (error) {
      assert.fail(String((error as { stdout?: Buffer }).stdout ?? error));
    }
  });

  it('load from any single class file, with resources dispatched lazily (no import-cycle breakage)', function () {
    this.timeout(60_000);
    const script = [
      `const { Bundle } = require(${JSON.stringify(path.resolve(__dirname, '..', 'generated', 'stu3', 'classes', 'Bundle.ts'))});`,
      "const bundle = new Bundle({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Patient', contained: [{ resourceType: 'Organization', name: 'o' }] } }] });",
      "process.stdout.write(bundle.entry[0].resource.constructor.name + ' ' + bundle.entry[0].resource.contained[0].constructor.name);",
    ].join('\n');
    const output = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
    assert.equal(output, 'Patient Organization');
  });

  it('know their version and resource types', () => {
    assert.equal(r4.fhirVersion.fhirVersion, '4.0.1');
    assert.equal(stu3.fhirVersion.fhirVersion, '3.0.1');
    assert.equal(dstu2.fhirVersion.fhirVersion, '1.0.2');
    assert.ok(r4.resourceTypes.includes('MedicinalProduct'));
    assert.ok(!stu3.resourceTypes.includes('MedicinalProduct'));
    assert.ok(!r4.resourceTypes.includes('DomainResource'));
  });

  it('cast the same JSON to different resources on R4 and STU3', () => {
    const json = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'weight' },
      focus: [{ reference: 'Patient/1' }],
      comment: 'STU3 only',
      note: [{ text: 'R4 only' }],
    };
    const onR4: Report = { dropped: [] };
    const onStu3: Report = { dropped: [] };
    const asR4 = r4.fromJSON(json, onR4);
    const asStu3 = stu3.fromJSON(json, onStu3);
    assert.ok(asR4 instanceof (r4.Observation as new () => object));
    assert.ok(asStu3 instanceof (stu3.Observation as new () => object));
    assert.ok(!(asStu3 instanceof (r4.Observation as new () => object)));
    assert.deepEqual(onR4.dropped, [{ path: 'Observation.comment', reason: 'unknown-property' }]);
    assert.deepEqual(onStu3.dropped.map((d) => d.path).sort(), ['Observation.focus', 'Observation.note']);
    assert.equal(asStu3.toJSON().comment, 'STU3 only');
    assert.deepEqual(asR4.toJSON().note, [{ text: 'R4 only' }]);
  });

  it('keep choice variants with their concrete class', () => {
    const observation = r4.fromJSON({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      valueQuantity: { value: 72.5, unit: 'kg' },
    });
    assert.ok(observation.valueQuantity instanceof (r4.Quantity as new () => object));
    assert.equal(observation.valueString, undefined);
  });

  it('dispatch Bundle entries, Parameters resources and contained resources', () => {
    const bundle = r4.fromJSON({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        {
          resource: {
            resourceType: 'Patient',
            id: 'p',
            contained: [{ resourceType: 'Organization', id: 'o' }],
          },
        },
        {
          resource: {
            resourceType: 'Parameters',
            parameter: [{ name: 'r', resource: { resourceType: 'Practitioner', id: 'd' } }],
          },
        },
      ],
    });
    const entries = bundle.entry as { resource: Cast }[];
    const patient = entries[0]?.resource as Cast;
    assert.ok(patient instanceof (r4.Patient as new () => object));
    assert.ok((patient.contained as object[])[0] instanceof (r4.Organization as new () => object));
    const parameters = entries[1]?.resource as Cast;
    const parameter = (parameters.parameter as { resource: object }[])[0];
    assert.ok(parameter?.resource instanceof (r4.Practitioner as new () => object));
  });

  it('keep primitive extensions, with aligned arrays', () => {
    const json = {
      resourceType: 'Patient',
      birthDate: '1970',
      _birthDate: { extension: [{ url: 'http://example.org/precision', valueCode: 'year' }] },
      name: [
        { given: ['Ann', null], _given: [null, { extension: [{ url: 'http://x', valueString: 'B.' }] }] },
      ],
    };
    const patient = dstu2.fromJSON(json);
    assert.ok(patient._birthDate instanceof (dstu2.Element as new () => object));
    assert.deepEqual(patient.toJSON(), json);
  });

  it('reject a resource of another type than the route expects', () => {
    assert.throws(
      () => stu3.castAs('Patient', { resourceType: 'Observation', status: 'final', code: {} }),
      (error) => codeOf(error) === 'WRONG_RESOURCE_TYPE' && /STU3 3\.0\.1/.test((error as Error).message),
    );
    assert.throws(
      () => dstu2.fromJSON({ resourceType: 'MedicationRequest' }),
      (error) => codeOf(error) === 'UNKNOWN_RESOURCE_TYPE' && /DSTU2 1\.0\.2/.test((error as Error).message),
    );
  });

  it('drop and report unknown nested properties', () => {
    const report: Report = { dropped: [] };
    const patient = r4.fromJSON(
      { resourceType: 'Patient', name: [{ family: 'F', nick: 'x' }], contact: [{ gender: 'male', age: 3 }] },
      report,
    );
    assert.deepEqual(report.dropped.map((d) => d.path).sort(), [
      'Patient.contact[0].age',
      'Patient.name[0].nick',
    ]);
    assert.deepEqual(patient.toJSON(), {
      resourceType: 'Patient',
      name: [{ family: 'F' }],
      contact: [{ gender: 'male' }],
    });
  });
});
