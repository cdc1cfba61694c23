import { baseNameOf, constrainedTypeOf, typeNameOf } from './collect';
import type { TypeUniverse } from './element-types';
import { buildMembers, type ElementContext } from './elements';
import type { RawStructureDefinition } from './raw';
import { stripVersion } from './raw';
import type { SplitDefinition } from './structures';
import type { BackboneType, ComplexType, ResourceType } from './types';
import { asCanonical, asPath } from './types';

/** Builds one complex type or resource (without search parameters) and its backbones. */
export function buildStructure(
  split: SplitDefinition,
  backboneNames: Map<string, string>,
  universe: TypeUniverse,
): ComplexType | ResourceType {
  const context: ElementContext = { universe, backboneNames, split };
  const definition = split.definition;
  const { elements, choices } = buildMembers(split.root, context);
  const backbones: BackboneType[] = split.backbones.map((node) => ({
    kind: 'backbone',
    name: backboneNames.get(node.path) ?? node.path,
    path: asPath(node.path),
    owner: split.name,
    description: String(node.element.definition ?? node.element.short ?? ''),
    ...buildMembers(node, context),
  }));
  const common = {
    name: typeNameOf(definition),
    url: asCanonical(stripVersion(definition.url)),
    abstract: definition.abstract === true,
    description: definition.description ?? '',
    elements,
    choices,
    backbones,
  };
  const base = knownBase(definition, universe);
  if (definition.kind === 'resource') {
    const resource: ResourceType = { kind: 'resource', ...common, searchParameters: [] };
    if (base !== undefined) resource.base = base;
    return resource;
  }
  const complex: ComplexType = { kind: 'complex-type', ...common };
  if (base !== undefined) complex.base = base;
  const constraintOn = constrainedTypeOf(definition);
  if (constraintOn !== undefined) complex.constraintOn = constraintOn;
  return complex;
}

/** The base type's name, when the model has that type (R4 roots derive from the abstract `Base`, which it has not). */
function knownBase(definition: RawStructureDefinition, universe: TypeUniverse): string | undefined {
  const base = baseNameOf(definition);
  return base !== undefined && universe.categories.has(base) ? base : undefined;
}
