import { FhirgenError } from '../../errors';
import type {
  BackboneType,
  ComplexType,
  Element,
  FhirModel,
  PrimitiveType,
  ResourceType,
} from '../../ir/types';
import type { ValueSetNames } from './value-sets';

/** A type that becomes a generated class: resources, complex data types and backbone elements. */
export type ClassType = ResourceType | ComplexType | BackboneType;

/** Lookups an emitter needs across one version's model. */
export interface EmitContext {
  model: FhirModel;
  primitives: Map<string, PrimitiveType>;
  /** Names of every generated class, for resolving element types. */
  classNames: Set<string>;
  valueSets: ValueSetNames;
}

/** Every class of the model: resources, complex types and their backbone elements, in model order. */
export function classTypes(model: FhirModel): ClassType[] {
  const out: ClassType[] = [];
  for (const type of [...model.complexTypes, ...model.resources]) {
    out.push(type, ...type.backbones);
  }
  return out;
}

/** Concrete resources: those that can appear with a `resourceType` on the wire. */
export function concreteResources(model: FhirModel): ResourceType[] {
  return model.resources.filter((resource) => !resource.abstract);
}

/** The TypeScript type of a primitive's value (FHIR `integer` and `decimal` are JSON numbers). */
export function primitiveJsonType(context: EmitContext, element: Element): 'string' | 'number' | 'boolean' {
  const primitive = context.primitives.get(element.type.name);
  if (primitive === undefined) {
    throw new FhirgenError('UNKNOWN_TYPE', `unknown primitive type ${element.type.name}`, {
      location: element.path,
    });
  }
  return primitive.jsonType === 'integer' ? 'number' : primitive.jsonType;
}

/** Which class an element's value is, when it is a class. */
export function classOf(context: EmitContext, element: Element): string | undefined {
  if (element.type.kind !== 'complex' && element.type.kind !== 'backbone') return undefined;
  if (!context.classNames.has(element.type.name)) {
    throw new FhirgenError('UNKNOWN_TYPE', `element type ${element.type.name} has no class`, {
      location: element.path,
    });
  }
  return element.type.name;
}

/** The value type of a primitive element: its required-binding codes when known, else its JSON type. */
export function primitiveValueType(context: EmitContext, element: Element): string {
  const codes = context.valueSets.aliasFor(element);
  return codes ?? primitiveJsonType(context, element);
}

/** `Patient.contact.gender` -> `0..1`. */
export function cardinality(element: Element): string {
  return `${element.min}..${element.max}`;
}

/** JSDoc text: short description and cardinality, with comment terminators neutralised. */
export function docOf(element: Element): string {
  const short = element.short.trim().replace(/\*\//g, '*\\/');
  return short.length > 0 ? `${short} (${cardinality(element)})` : `(${cardinality(element)})`;
}

/** TypeScript single-quoted string literal. */
export function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}
