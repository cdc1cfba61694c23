/**
 * Facts about the real core packages (../shared/fhir) that the model must get right, version by
 * version. The models are built once per run by test/support/models.ts.
 */
import assert from 'node:assert/strict';
import {
  allStructures,
  type BackboneType,
  type Element,
  type FhirModel,
  type FhirVersionId,
  findType,
  indexTypes,
  type ResourceType,
} from '../src/ir';
import { EXTERNAL_CODE_SYSTEMS } from '../src/ir/external-code-systems';
import { loadModel } from './support/models';

const VERSIONS: FhirVersionId[] = ['r4', 'stu3', 'dstu2'];

function element(model: FhirModel, typeName: string, name: string): Element {
  const type = findType(model, typeName);
  assert.ok(type && type.kind !== 'primitive', `${typeName} is in the ${model.version.label} model`);
  const found = type.elements.find((each) => each.name === name);
  assert.ok(found, `${typeName}.${name} is in the ${model.version.label} model`);
  return found;
}

function resource(model: FhirModel, name: string): ResourceType {
  const found = model.resources.find((each) => each.name === name);
  assert.ok(found, `${name} is in the ${model.version.label} model`);
  return found;
}

describe('IR facts on the core packages', function () {
  // Reading and building the three cores takes a few seconds on a shared machine.
  this.timeout(60000);

  const concreteResources: Record<FhirVersionId, number> = { r4: 146, stu3: 117, dstu2: 94 };
  for (const versionId of VERSIONS) {
    it(`${versionId}: has ${concreteResources[versionId]} concrete resource types, plus abstract Resource and DomainResource`, async () => {
      const model = await loadModel(versionId);
      assert.equal(model.resources.filter((r) => !r.abstract).length, concreteResources[versionId]);
      assert.deepEqual(
        model.resources.filter((r) => r.abstract).map((r) => r.name),
        ['DomainResource', 'Resource'],
      );
      assert.equal(resource(model, 'Patient').base, 'DomainResource');
      assert.equal(resource(model, 'DomainResource').base, 'Resource');
      assert.equal(resource(model, 'Resource').base, undefined);
    });
  }

  it('keeps the resources of each version as data: DSTU2 MedicationOrder, R4 MedicationRequest', async () => {
    const [r4, dstu2] = [await loadModel('r4'), await loadModel('dstu2')];
    assert.ok(findType(dstu2, 'MedicationOrder'));
    assert.equal(findType(dstu2, 'MedicationRequest'), undefined);
    assert.ok(findType(r4, 'MedicationRequest'));
    assert.equal(findType(r4, 'MedicationOrder'), undefined);
  });

  it('r4: Patient.gender is a required binding with codes male, female, other, unknown', async () => {
    const gender = element(await loadModel('r4'), 'Patient', 'gender');
    assert.deepEqual(gender.type, { kind: 'primitive', name: 'code' });
    assert.equal(gender.binding?.strength, 'required');
    assert.equal(gender.binding?.valueSet, 'http://hl7.org/fhir/ValueSet/administrative-gender');
    assert.deepEqual(gender.binding?.codes, ['male', 'female', 'other', 'unknown']);
  });

  const observationValue: Record<FhirVersionId, string[]> = {
    r4: [
      'Quantity',
      'CodeableConcept',
      'string',
      'boolean',
      'integer',
      'Range',
      'Ratio',
      'SampledData',
      'time',
      'dateTime',
      'Period',
    ],
    stu3: [
      'Quantity',
      'CodeableConcept',
      'string',
      'boolean',
      'Range',
      'Ratio',
      'SampledData',
      'Attachment',
      'time',
      'dateTime',
      'Period',
    ],
    dstu2: [
      'Quantity',
      'CodeableConcept',
      'string',
      'Range',
      'Ratio',
      'SampledData',
      'Attachment',
      'time',
      'dateTime',
      'Period',
    ],
  };
  for (const versionId of VERSIONS) {
    it(`${versionId}: Observation.value[x] expands to exactly its variants`, async () => {
      const observation = resource(await loadModel(versionId), 'Observation');
      const group = observation.choices.find((choice) => choice.name === 'value');
      const want = observationValue[versionId];
      assert.deepEqual(
        group?.variants,
        want.map((type) => `value${type.charAt(0).toUpperCase()}${type.slice(1)}`),
      );
      const variants = observation.elements.filter((e) => e.choice?.group === 'value');
      assert.deepEqual(
        variants.map((e) => e.type.name),
        want,
      );
      assert.ok(variants.every((e) => e.path === 'Observation.value[x]' && !e.isArray));
    });
  }

  for (const [versionId, path, backbone] of [
    ['r4', 'Questionnaire.item.item', 'QuestionnaireItem'],
    ['stu3', 'Questionnaire.item.item', 'QuestionnaireItem'],
    ['dstu2', 'Questionnaire.group.group', 'QuestionnaireGroup'],
  ] as const) {
    it(`${versionId}: ${path} resolves to the ${backbone} structure`, async () => {
      const model = await loadModel(versionId);
      const item = findType(model, backbone) as BackboneType;
      assert.equal(item.kind, 'backbone');
      assert.equal(item.path, path.slice(0, path.lastIndexOf('.')));
      const nested = item.elements.find((e) => e.path === path);
      assert.deepEqual(nested?.type, { kind: 'backbone', name: backbone });
      assert.equal(nested?.contentReference, item.path);
      assert.equal(nested?.isArray, true);
    });
  }

  for (const versionId of VERSIONS) {
    it(`${versionId}: Bundle.entry.resource is a Resource, and backbones have readable names`, async () => {
      const model = await loadModel(versionId);
      assert.deepEqual(element(model, 'BundleEntry', 'resource').type, {
        kind: 'resource',
        name: 'Resource',
      });
      assert.deepEqual(element(model, 'Bundle', 'entry').type, { kind: 'backbone', name: 'BundleEntry' });
      assert.deepEqual(element(model, 'BundleEntry', 'request').type, {
        kind: 'backbone',
        name: 'BundleEntryRequest',
      });
      assert.deepEqual(element(model, 'Patient', 'contact').type, {
        kind: 'backbone',
        name: 'PatientContact',
      });
    });

    it(`${versionId}: every element of every type has a type the model defines, and a unique JSON name`, async () => {
      const model = await loadModel(versionId);
      const types = indexTypes(model);
      assert.equal(
        types.size,
        model.primitives.length + allStructures(model).length,
        'type names are unique',
      );
      const problems: string[] = [];
      for (const structure of allStructures(model)) {
        if (structure.elements.length < 2)
          problems.push(`${structure.name} has ${structure.elements.length} element(s)`);
        const names = new Set<string>();
        for (const each of structure.elements) {
          const type = types.get(each.type.name);
          if (!type) problems.push(`${each.path} (${each.name}): ${each.type.name} is not in the model`);
          else if (
            type.kind !== each.type.kind &&
            !(type.kind === 'complex-type' && each.type.kind === 'complex')
          ) {
            problems.push(`${each.path}: a ${each.type.kind} reference to a ${type.kind}`);
          }
          if (names.has(each.name)) problems.push(`${structure.name}.${each.name} appears twice`);
          names.add(each.name);
        }
      }
      assert.deepEqual(problems, []);
    });
  }

  /** Required bindings that cannot be listed from the packages: ValueSets over external code systems. */
  const unresolvedValueSets: Record<FhirVersionId, string[]> = {
    r4: [
      'http://hl7.org/fhir/ValueSet/currencies',
      'http://hl7.org/fhir/ValueSet/mimetypes',
      'http://hl7.org/fhir/ValueSet/ucum-units',
      'http://loinc.org/vs/LL379-9',
    ],
    stu3: ['http://hl7.org/fhir/ValueSet/designation-use', 'http://www.rfc-editor.org/bcp/bcp13.txt'],
    dstu2: [
      'http://hl7.org/fhir/ValueSet/encounter-reason',
      'http://tools.ietf.org/html/bcp47',
      'http://www.rfc-editor.org/bcp/bcp13.txt',
    ],
  };
  for (const versionId of VERSIONS) {
    it(`${versionId}: every required binding has codes, except the explicit external ones`, async () => {
      const model = await loadModel(versionId);
      const unresolved = new Set<string>();
      const reasons = new Set(Object.values(EXTERNAL_CODE_SYSTEMS));
      for (const structure of allStructures(model)) {
        for (const each of structure.elements) {
          const binding = each.binding;
          if (binding?.strength !== 'required') continue;
          if (binding.codes) {
            assert.ok(binding.codes.length > 0, `${each.path} has codes`);
            continue;
          }
          assert.ok(reasons.has(binding.unresolved ?? ''), `${each.path}: ${binding.unresolved}`);
          unresolved.add(binding.valueSet ?? each.path);
        }
      }
      assert.deepEqual([...unresolved].sort(), unresolvedValueSets[versionId]);
    });
  }

  it('keeps the primitives of each version with their own regex and JSON type', async () => {
    const [r4, stu3, dstu2] = await Promise.all([loadModel('r4'), loadModel('stu3'), loadModel('dstu2')]);
    const primitive = (model: FhirModel, name: string) => model.primitives.find((p) => p.name === name);
    assert.ok(primitive(r4, 'canonical') && !primitive(stu3, 'canonical'));
    assert.notEqual(primitive(r4, 'dateTime')?.regex, primitive(stu3, 'dateTime')?.regex);
    for (const model of [r4, stu3, dstu2]) {
      assert.equal(primitive(model, 'boolean')?.jsonType, 'boolean');
      assert.equal(primitive(model, 'decimal')?.jsonType, 'number');
      assert.equal(primitive(model, 'string')?.jsonType, 'string');
      assert.deepEqual(
        [primitive(model, 'positiveInt')?.jsonType, primitive(model, 'positiveInt')?.minValue],
        ['integer', 1],
      );
      assert.equal(primitive(model, 'unsignedInt')?.minValue, 0);
      assert.equal(primitive(model, 'integer')?.maxValue, 2147483647);
      assert.equal(primitive(model, 'code')?.base, 'string');
    }
    assert.equal(primitive(dstu2, 'uuid')?.base, 'uri');
  });

  it('knows which versions write comments into their JSON: DSTU2 fhir_comments, none since STU3', async () => {
    const [r4, stu3, dstu2] = await Promise.all([loadModel('r4'), loadModel('stu3'), loadModel('dstu2')]);
    assert.deepEqual(dstu2.json, { commentsProperty: 'fhir_comments' });
    assert.deepEqual(stu3.json, {});
    assert.deepEqual(r4.json, {});
  });

  for (const version of ['dstu2', 'stu3'] as const) {
    it(`gives ${version} instant the regex of its text (a time zone, always), which its definition lacks`, async () => {
      const instant = (await loadModel(version)).primitives.find((p) => p.name === 'instant');
      const regex = new RegExp(`^(?:${instant?.regex})$`);
      for (const valid of [
        '2015-02-07T13:28:17Z',
        '2015-02-07T13:28:17+01:00',
        '2015-02-07T13:28:17.239-05:00',
      ]) {
        assert.ok(regex.test(valid), valid);
      }
      for (const invalid of [
        '2015-02-07T13:28:17',
        '2015-02-07T13:28Z',
        '2015-02-07',
        '2015-02-07T13:28:17+15:00',
      ]) {
        assert.ok(!regex.test(invalid), invalid);
      }
    });
  }

  it('types every resource id as `id` (R4 4.0.1 writes System.String there, against its own specification)', async () => {
    for (const model of await Promise.all(VERSIONS.map(loadModel))) {
      for (const each of model.resources) {
        assert.deepEqual(
          element(model, each.name, 'id').type,
          { kind: 'primitive', name: 'id' },
          `${each.name}.id`,
        );
      }
    }
    assert.deepEqual(element(await loadModel('r4'), 'Element', 'id').type, {
      kind: 'primitive',
      name: 'string',
    });
  });

  it('types DSTU2 Age and STU3/R4 SimpleQuantity as constraints on Quantity', async () => {
    const [r4, stu3, dstu2] = await Promise.all([loadModel('r4'), loadModel('stu3'), loadModel('dstu2')]);
    for (const model of [r4, stu3, dstu2]) {
      const simple = findType(model, 'SimpleQuantity');
      assert.ok(simple?.kind === 'complex-type' && simple.constraintOn === 'Quantity');
      const comparator = simple.elements.find((e) => e.name === 'comparator');
      assert.equal(comparator?.max, 0, `${model.version.label} SimpleQuantity has no comparator`);
      assert.ok(simple.elements.some((e) => e.name === 'value' && e.type.name === 'decimal'));
    }
    const age = findType(dstu2, 'Age');
    assert.ok(age?.kind === 'complex-type' && age.constraintOn === 'Quantity');
    const stu3Age = findType(stu3, 'Age');
    assert.ok(
      stu3Age?.kind === 'complex-type' && stu3Age.constraintOn === undefined && stu3Age.base === 'Quantity',
    );
    assert.equal(element(r4, 'Dosage', 'doseAndRate').type.name, 'DosageDoseAndRate');
    assert.equal(element(r4, 'DosageDoseAndRate', 'doseQuantity').type.name, 'SimpleQuantity');
    assert.equal(
      element(dstu2, 'MedicationOrderDosageInstruction', 'doseQuantity').type.name,
      'SimpleQuantity',
    );
  });

  it('gives each resource its search parameters, common ones included, per version', async () => {
    const [r4, stu3, dstu2] = await Promise.all([loadModel('r4'), loadModel('stu3'), loadModel('dstu2')]);
    const parameter = (model: FhirModel, name: string, code: string) =>
      resource(model, name).searchParameters.find((p) => p.code === code);
    assert.deepEqual(
      [parameter(r4, 'Patient', '_id')?.common, parameter(r4, 'Patient', '_id')?.expression],
      [true, 'Resource.id'],
    );
    assert.equal(parameter(r4, 'Patient', '_text')?.common, true);
    assert.equal(parameter(r4, 'Patient', 'gender')?.expression, 'Patient.gender');
    assert.equal(parameter(r4, 'Patient', 'gender')?.xpath, 'f:Patient/f:gender');
    assert.equal(parameter(stu3, 'Person', 'gender')?.expression, 'Person.gender');
    assert.deepEqual(
      [parameter(dstu2, 'Patient', 'gender')?.expression, parameter(dstu2, 'Patient', 'gender')?.xpath],
      [undefined, 'f:Patient/f:gender'],
    );
    assert.equal(parameter(dstu2, 'Patient', '_lastUpdated')?.common, true);
    assert.equal(parameter(dstu2, 'Observation', 'code-value-[x]')?.type, 'composite');
    assert.equal(parameter(dstu2, 'Condition', 'age'), undefined, 'a DAF profile parameter, not DSTU2 core');
    assert.equal(parameter(r4, 'Observation', 'code')?.expression, 'Observation.code');
    assert.deepEqual(parameter(r4, 'Observation', 'subject')?.targets.sort(), [
      'Device',
      'Group',
      'Location',
      'Patient',
    ]);
    for (const model of [r4, stu3, dstu2]) {
      for (const each of model.resources.filter((r) => !r.abstract)) {
        const codes = each.searchParameters.map((p) => p.code);
        assert.equal(new Set(codes).size, codes.length, `${each.name} has each code once`);
        assert.ok(codes.includes('_id'), `${each.name} has _id`);
      }
    }
  });
});
