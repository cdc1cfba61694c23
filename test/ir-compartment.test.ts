import assert from 'node:assert/strict';
import { indexDefinitions } from '../src/ir/definition-index';
import { PATIENT_COMPARTMENT_URL, patientCompartment } from '../src/ir/patient-compartment';
import type { PatientCompartment, ResourceType, SearchParameter } from '../src/ir/types';
import { asCanonical } from '../src/ir/types';
import { inlinePackage, loadModel } from './support/models';

function paramsOf(compartment: PatientCompartment, type: string): string[] | undefined {
  return compartment.members.find((member) => member.resourceType === type)?.params;
}

describe('IR patient compartment, on the core packages', function () {
  this.timeout(120_000);

  it('R4: reads CompartmentDefinition/patient', async () => {
    const { patientCompartment: compartment } = await loadModel('r4');
    assert.equal(compartment.source, 'definition');
    assert.equal(compartment.url, PATIENT_COMPARTMENT_URL);
    assert.deepEqual(paramsOf(compartment, 'Observation'), ['subject', 'performer']);
    assert.deepEqual(paramsOf(compartment, 'Encounter'), ['patient']);
    assert.deepEqual(paramsOf(compartment, 'Patient'), ['link']);
    assert.deepEqual(paramsOf(compartment, 'AuditEvent'), ['patient']);
    assert.deepEqual(paramsOf(compartment, 'Coverage'), [
      'policy-holder',
      'subscriber',
      'beneficiary',
      'payor',
    ]);
    // Task.for and Observation.focus may point at a Patient, but R4 leaves Task out of the compartment.
    for (const outside of ['Task', 'Practitioner', 'Organization', 'Location', 'Medication', 'Bundle']) {
      assert.equal(paramsOf(compartment, outside), undefined, outside);
    }
    assert.equal(compartment.members.length, 66);
  });

  it('STU3: reads CompartmentDefinition/patient, chained parameters as written', async () => {
    const { patientCompartment: compartment } = await loadModel('stu3');
    assert.equal(compartment.source, 'definition');
    assert.deepEqual(paramsOf(compartment, 'Observation'), ['subject', 'performer']);
    assert.deepEqual(paramsOf(compartment, 'Encounter'), ['patient']);
    assert.deepEqual(paramsOf(compartment, 'Patient'), ['link']);
    assert.deepEqual(paramsOf(compartment, 'AuditEvent'), ['patient', 'agent.patient', 'entity.patient']);
    assert.deepEqual(paramsOf(compartment, 'ProcedureRequest'), ['subject', 'performer']);
    for (const outside of ['Task', 'Practitioner', 'Organization', 'Medication']) {
      assert.equal(paramsOf(compartment, outside), undefined, outside);
    }
    assert.equal(compartment.members.length, 64);
  });

  it('DSTU2: no CompartmentDefinition in 1.0.2, so the reference parameters that may point at a Patient', async () => {
    const { patientCompartment: compartment } = await loadModel('dstu2');
    assert.equal(compartment.source, 'reference-parameters');
    assert.equal(compartment.url, undefined);
    assert.deepEqual(paramsOf(compartment, 'Observation'), ['patient', 'performer', 'subject']);
    assert.deepEqual(paramsOf(compartment, 'Patient'), ['link']);
    assert.equal(paramsOf(compartment, 'Practitioner'), undefined);
    assert.equal(paramsOf(compartment, 'Organization'), undefined);
  });

  it('lists members sorted by type, each once', async () => {
    for (const version of ['dstu2', 'stu3', 'r4'] as const) {
      const types = (await loadModel(version)).patientCompartment.members.map(
        (member) => member.resourceType,
      );
      assert.deepEqual(types, [...new Set(types)].sort(), version);
    }
  });
});

describe('IR patient compartment pass, on tiny definitions', () => {
  const resource = (
    name: string,
    searchParameters: SearchParameter[] = [],
    abstract = false,
  ): ResourceType => ({
    kind: 'resource',
    name,
    url: asCanonical(`http://hl7.org/fhir/StructureDefinition/${name}`),
    abstract,
    description: '',
    elements: [],
    choices: [],
    backbones: [],
    searchParameters,
  });
  const reference = (code: string, targets: string[], common = false): SearchParameter => ({
    code,
    url: asCanonical(`http://hl7.org/fhir/SearchParameter/x-${code}`),
    type: 'reference',
    description: '',
    targets,
    modifiers: [],
    comparators: [],
    components: [],
    common,
  });
  const resources = [
    resource('Patient'),
    resource('Observation'),
    resource('Flag'),
    resource('Resource', [], true),
  ];

  it('drops {def}, types without params and types the model lacks; the Patient is always a member', () => {
    const definition = {
      resourceType: 'CompartmentDefinition',
      url: PATIENT_COMPARTMENT_URL,
      code: 'Patient',
      resource: [
        { code: 'Observation', param: ['subject', '{def}'] },
        { code: 'Flag' },
        { code: 'Unknown', param: ['patient'] },
      ],
    };
    const compartment = patientCompartment(indexDefinitions([inlinePackage([definition])]), resources);
    assert.deepEqual(compartment.members, [
      { resourceType: 'Observation', params: ['subject'] },
      { resourceType: 'Patient', params: [] },
    ]);
  });

  it('without a definition, keeps reference parameters that may point at a Patient', () => {
    const derived = [
      resource('Observation', [reference('subject', ['Patient', 'Group']), reference('device', ['Device'])]),
      resource('Provenance', [reference('target', [])]),
      resource('Device', [reference('_profile', ['Patient'], true)]),
      resource('Patient'),
    ];
    const compartment = patientCompartment(indexDefinitions([inlinePackage([], '1.0.2')]), derived);
    assert.equal(compartment.source, 'reference-parameters');
    assert.deepEqual(compartment.members, [
      { resourceType: 'Observation', params: ['subject'] },
      { resourceType: 'Patient', params: [] },
      { resourceType: 'Provenance', params: ['target'] },
    ]);
  });
});
