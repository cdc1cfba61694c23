import { compare } from './backbone-names';
import type { DefinitionIndex } from './definition-index';
import type { RawCompartmentDefinition } from './raw';
import {
  asCanonical,
  type CompartmentMember,
  type PatientCompartment,
  type ResourceType,
  type SearchParameter,
} from './types';

export const PATIENT_COMPARTMENT_URL = 'http://hl7.org/fhir/CompartmentDefinition/patient';

/** `{def}` in a CompartmentDefinition's `param` list means the compartment's own resource (the Patient). */
const ITSELF = '{def}';

/**
 * Pass "patient compartment": per resource type, the search parameters that place a resource in a
 * patient's compartment. From the core package's `CompartmentDefinition/patient` when it has one
 * (STU3, R4: `resource[].param`, types without `param` are outside the compartment); otherwise
 * (DSTU2, whose package has no CompartmentDefinition) from the reference search parameters that
 * may point at a Patient. Resource types the model does not have are left out.
 */
export function patientCompartment(index: DefinitionIndex, resources: ResourceType[]): PatientCompartment {
  const concrete = resources.filter((resource) => !resource.abstract);
  const definition = index.compartmentDefinitions.get(PATIENT_COMPARTMENT_URL);
  if (definition !== undefined) {
    return {
      source: 'definition',
      url: asCanonical(PATIENT_COMPARTMENT_URL),
      members: fromDefinition(definition, new Set(concrete.map((resource) => resource.name))),
    };
  }
  return { source: 'reference-parameters', members: fromReferenceParameters(concrete) };
}

function fromDefinition(definition: RawCompartmentDefinition, known: Set<string>): CompartmentMember[] {
  const members = new Map<string, CompartmentMember>();
  for (const entry of definition.resource ?? []) {
    const params = entry.param ?? [];
    if (params.length === 0 || !known.has(entry.code) || members.has(entry.code)) continue;
    members.set(entry.code, {
      resourceType: entry.code,
      params: params.filter((param) => param !== ITSELF),
    });
  }
  const patient = members.get('Patient');
  // The Patient is in its own compartment whatever the definition lists for it.
  if (patient === undefined && known.has('Patient'))
    members.set('Patient', { resourceType: 'Patient', params: [] });
  return sorted([...members.values()]);
}

/**
 * DSTU2: the reference parameters (not the common ones) whose targets include Patient, or that name no
 * target at all (a reference to any resource may be a Patient).
 */
function fromReferenceParameters(resources: ResourceType[]): CompartmentMember[] {
  const members: CompartmentMember[] = [];
  for (const resource of resources) {
    const params = resource.searchParameters.filter(mayReferencePatient).map((param) => param.code);
    if (params.length > 0 || resource.name === 'Patient')
      members.push({ resourceType: resource.name, params });
  }
  return sorted(members);
}

function mayReferencePatient(param: SearchParameter): boolean {
  return (
    param.type === 'reference' &&
    !param.common &&
    (param.targets.length === 0 || param.targets.includes('Patient'))
  );
}

function sorted(members: CompartmentMember[]): CompartmentMember[] {
  return members.sort((a, b) => compare(a.resourceType, b.resourceType));
}
