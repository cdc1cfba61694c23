/**
 * The FHIRPath functions core invariants need beyond the engine's own, bound to what fhirgen has at
 * hand and never to the network (https://hl7.org/fhir/R4/fhirpath.html#functions):
 * - `resolve()`: a reference to `#id` finds a resource contained in `%rootResource`; any other finds
 *   an entry of the enclosing Bundle by `fullUrl`, or by `Type/id` against the entries' resources;
 * - `memberOf(url)`: a code, Coding or CodeableConcept against the ValueSets fhirgen expands
 *   (`server/value-sets.json`, members as `system|code`);
 * - `conformsTo(url)`: a resource conforms to a core StructureDefinition when it is of that type or
 *   specialises it, and passes the version's structural validator when one is given.
 * `htmlChecks()` (R4) and `htmlchecks()` (STU3) are the engine's own (fhirpath 5.x, which applies the
 * narrative rules of https://hl7.org/fhir/R4/narrative.html#xhtml).
 */
import { ResourceNode } from 'fhirpath/src/types.js';

export type JsonObject = Record<string, unknown>;

/** Where the node being checked sits: the resources around it, for `%resource` and `resolve()`. */
export interface NodeScope {
  resource: JsonObject;
  rootResource: JsonObject;
  /** The resources of the nearest enclosing Bundle by fullUrl (and by `Type/id`). */
  bundle?: Map<string, JsonObject>;
}

export interface FunctionContext {
  scope(): NodeScope;
  valueSets: Readonly<Record<string, readonly string[]>>;
  /** Whether a resource type is, or specialises, `type`. */
  isA(resourceType: string, type: string): boolean;
  validate?: (resource: JsonObject) => boolean;
}

interface EngineNode {
  data?: unknown;
}

const CORE_PREFIX = 'http://hl7.org/fhir/StructureDefinition/';

const dataOf = (item: unknown): unknown => (item instanceof ResourceNode ? (item as EngineNode).data : item);

/** The bundle lookup of a Bundle: fullUrl and `Type/id` of each entry's resource. */
export function bundleIndex(bundle: JsonObject): Map<string, JsonObject> {
  const index = new Map<string, JsonObject>();
  for (const entry of (bundle.entry as JsonObject[] | undefined) ?? []) {
    const resource = entry?.resource as JsonObject | undefined;
    if (resource === undefined) continue;
    if (typeof entry.fullUrl === 'string') index.set(entry.fullUrl, resource);
    if (typeof resource.id === 'string') index.set(`${resource.resourceType}/${resource.id}`, resource);
  }
  return index;
}

function resolveReference(reference: string, scope: NodeScope): JsonObject | undefined {
  if (reference.startsWith('#')) {
    const contained = (scope.rootResource.contained as JsonObject[] | undefined) ?? [];
    return reference === '#' ? scope.rootResource : contained.find((each) => `#${each.id}` === reference);
  }
  const bundle = scope.bundle;
  if (bundle === undefined) return undefined;
  const found = bundle.get(reference);
  if (found !== undefined) return found;
  // A relative reference names the entry whose resource has that type and id, whatever its base URL.
  const relative = /([A-Za-z]+\/[^/]+)(\/_history\/[^/]+)?$/.exec(reference);
  return relative?.[1] === undefined ? undefined : bundle.get(relative[1]);
}

function codings(value: unknown): { system?: unknown; code?: unknown }[] {
  if (typeof value === 'string') return [{ code: value }];
  if (value === null || typeof value !== 'object') return [];
  const object = value as JsonObject;
  if (Array.isArray(object.coding)) return object.coding as JsonObject[];
  return [object];
}

/** The user invocation table handed to `fhirpath.compile`. */
export function invocationTable(context: FunctionContext): Record<string, unknown> {
  return {
    resolve: {
      internalStructures: true,
      fn(this: unknown, items: unknown[]) {
        const scope = context.scope();
        const found: unknown[] = [];
        for (const item of items) {
          const value = dataOf(item);
          const reference =
            typeof value === 'string'
              ? value
              : ((value as JsonObject | null)?.reference as string | undefined);
          if (typeof reference !== 'string') continue;
          const resource = resolveReference(reference, scope);
          if (resource !== undefined)
            found.push(ResourceNode.makeResNode(this, resource, null, null, null, null));
        }
        return found;
      },
    },
    memberOf: {
      fn(items: unknown[], url: string) {
        if (items.length !== 1) return [];
        const members = context.valueSets[url.split('|')[0] ?? url];
        if (members === undefined) return [];
        const member = codings(items[0]).some((coding) =>
          typeof coding.system === 'string'
            ? members.includes(`${coding.system}|${coding.code}`)
            : members.some((each) => each.endsWith(`|${coding.code}`)),
        );
        return [member];
      },
      arity: { 1: ['String'] },
    },
    conformsTo: {
      fn(items: unknown[], url: string) {
        if (items.length !== 1) return [];
        const resource = items[0] as JsonObject;
        if (!url.startsWith(CORE_PREFIX) || typeof resource?.resourceType !== 'string') return [];
        const type = url.slice(CORE_PREFIX.length);
        if (!context.isA(resource.resourceType, type)) return [false];
        return [context.validate === undefined || context.validate(resource)];
      },
      arity: { 1: ['String'] },
    },
  };
}
