import type { BackboneType, ComplexType, Element, FhirModel, ResourceType, TypeDefinition } from './types';

/** Every class-shaped type of a model: complex types, resources and all their backbones. */
export function allStructures(model: FhirModel): (ComplexType | ResourceType | BackboneType)[] {
  const structures: (ComplexType | ResourceType | BackboneType)[] = [];
  for (const type of [...model.complexTypes, ...model.resources]) structures.push(type, ...type.backbones);
  return structures;
}

/** The elements of a type and of its backbones. */
export function allElements(type: ComplexType | ResourceType): Element[] {
  return [...type.elements, ...type.backbones.flatMap((backbone) => backbone.elements)];
}

/** Every type of a model by name: primitives, complex types, resources and backbone classes. */
export function indexTypes(model: FhirModel): Map<string, TypeDefinition> {
  const index = new Map<string, TypeDefinition>();
  for (const type of [...model.primitives, ...allStructures(model)]) index.set(type.name, type);
  return index;
}

/** A type by name: a primitive, complex type, resource or backbone class (`PatientContact`). */
export function findType(model: FhirModel, name: string): TypeDefinition | undefined {
  return (
    model.primitives.find((type) => type.name === name) ??
    allStructures(model).find((type) => type.name === name)
  );
}
