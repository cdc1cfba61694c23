/**
 * `GET /metadata` (https://hl7.org/fhir/R4/http.html#capabilities): a CapabilityStatement
 * (`Conformance` on DSTU2) listing exactly what this server serves: the resource types that have a
 * service, the interactions each service implements, its operations and search parameters.
 */
import type { CapabilityShape } from '../binding';
import type { ResourceService } from '../service';
import type { HandlerSettings } from './settings';

const SERVICE_INTERACTIONS: [keyof ResourceService, string][] = [
  ['read', 'read'],
  ['vread', 'vread'],
  ['update', 'update'],
  ['delete', 'delete'],
  ['history', 'history-instance'],
  ['history', 'history-type'],
  ['create', 'create'],
  ['search', 'search-type'],
];

/** The interaction codes a service implements; patch is served by read + update when absent. */
export function servedInteractions(service: ResourceService): string[] {
  const codes = SERVICE_INTERACTIONS.filter(([method]) => service[method] !== undefined).map(
    ([, code]) => code,
  );
  if (service.patch !== undefined || (service.read !== undefined && service.update !== undefined))
    codes.push('patch');
  return codes;
}

export function capabilityStatement(settings: HandlerSettings, baseUrl: string, software: string): unknown {
  const { binding } = settings;
  const shape = binding.capability;
  const known = new Set(shape.interactionCodes);
  const restOperations = new Map<string, { name: string; definition: unknown }>();
  const resources = Object.entries(settings.services)
    .filter(([type]) => binding.resourceTypes.includes(type))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, service]) => {
      const entry = resourceEntry(settings, known, type, service);
      const operations = operationsOf(shape, type, service);
      if (shape.resourceOperations === true) entry.operation = operations;
      else for (const operation of operations) restOperations.set(JSON.stringify(operation), operation);
      return entry;
    });
  const system = ['transaction', 'batch', 'history-system']
    .filter((code) => known.has(code))
    .filter((code) => code !== 'transaction' || settings.transactions !== undefined)
    .filter(
      (code) =>
        code !== 'history-system' || Object.values(settings.services).some((s) => s.history !== undefined),
    );
  // FHIR JSON has no empty arrays (https://hl7.org/fhir/R4/json.html), so empty lists are left out.
  const rest: Record<string, unknown> = { mode: 'server' };
  if (settings.capabilitySecurity !== undefined) rest.security = settings.capabilitySecurity;
  rest.resource = resources;
  if (system.length > 0) rest.interaction = system.map((code) => ({ code }));
  if (restOperations.size > 0) rest.operation = [...restOperations.values()];
  return {
    resourceType: binding.capabilityType,
    status: 'active',
    date: new Date().toISOString().slice(0, 10),
    kind: 'instance',
    software: { name: software },
    implementation: { description: `${software} FHIR ${binding.label} endpoint`, url: baseUrl },
    fhirVersion: binding.fhirVersion,
    ...shape.required,
    format: [binding.mimeType, 'json'],
    rest: [rest],
  };
}

function resourceEntry(
  settings: HandlerSettings,
  known: Set<string>,
  type: string,
  service: ResourceService,
): Record<string, unknown> {
  const interactions = servedInteractions(service).filter((code) => known.has(code));
  const entry: Record<string, unknown> = { type };
  if (interactions.length > 0) entry.interaction = interactions.map((code) => ({ code }));
  if (service.update !== undefined) entry.updateCreate = settings.updateCreate;
  if (service.create !== undefined && service.search !== undefined) entry.conditionalCreate = true;
  if (service.search !== undefined) {
    entry.searchParam = [
      { name: '_id', type: 'token' },
      ...(settings.binding.searchParams[type] ?? []).filter((p) => p.name !== '_id'),
    ].map((param) => {
      const described: Record<string, unknown> = { name: param.name, type: param.type };
      if ('definition' in param && param.definition !== undefined) described.definition = param.definition;
      return described;
    });
  }
  return entry;
}

/** `$validate` on every type, and the operations the service declares. */
function operationsOf(shape: CapabilityShape, type: string, service: ResourceService) {
  const operations = [
    { name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' },
  ];
  for (const declared of service.operations ?? []) {
    operations.push({
      name: declared.name,
      definition: declared.definition ?? `urn:fhirgen:operation:${type}:${declared.name}`,
    });
  }
  // An operation's definition is a canonical in R4 and a Reference before it.
  return operations.map(({ name, definition }) => ({
    name,
    definition: shape.operationDefinition === 'canonical' ? definition : { reference: definition },
  }));
}
