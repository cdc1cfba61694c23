import type Ajv from 'ajv';
import type { AnySchemaObject, ErrorObject, KeywordCxt } from 'ajv';
import { _, type Code, getProperty, strConcat, stringify } from 'ajv/dist/compile/codegen';
import N from 'ajv/dist/compile/names';
import type { ChoiceRule } from './document';

/**
 * The FHIR keywords of fhirgen's schemas. Each is a `code` keyword whose generated code calls one helper
 * function, so that the same keywords work compiled at run time and in ajv standalone code (where
 * `helpersCode` names the helpers: the generated modules take them as their factory's parameter).
 */

export type FhirErrors = ErrorObject[] | null;

export interface KeywordHelpers {
  /** Primitive elements that must be present, as a value `x` or as `_x` with id/extensions only. */
  required(data: Record<string, unknown>, names: string[], path: string, type: string): FhirErrors;
  choices(data: Record<string, unknown>, groups: ChoiceRule[], path: string, type: string): FhirErrors;
  aligned(data: Record<string, unknown>, names: string[], path: string, type: string): FhirErrors;
  /** A Resource-typed element: checked against the schema of the resourceType it names. */
  resource(data: unknown, allowed: string, path: string, rootData: unknown): FhirErrors;
}

/** Annotations only: they carry the FHIR type and ValueSet names used in messages. */
const ANNOTATIONS = ['fhirgen', 'fhirType', 'fhirValueSet'];

export function addFhirKeywords(ajv: Ajv, helpers: KeywordHelpers, helpersCode?: Code): void {
  ajv.addVocabulary(ANNOTATIONS);
  const call = (method: keyof KeywordHelpers, schemaType: 'array' | 'string', dataType?: 'object') => {
    ajv.addKeyword({
      keyword: keywordOf(method),
      schemaType,
      ...(dataType === undefined ? {} : { type: dataType }),
      code(cxt: KeywordCxt) {
        const { gen, it } = cxt;
        const scoped = gen.scopeValue(
          'keyword',
          helpersCode === undefined ? { ref: helpers } : { ref: helpers, code: helpersCode },
        );
        const path = strConcat(N.instancePath, it.errorPath);
        const last = method === 'resource' ? N.rootData : stringify(typeOf(cxt.parentSchema));
        const errors = gen.const(
          'fhirErrors',
          _`${scoped}${getProperty(method)}(${cxt.data}, ${cxt.schemaValue}, ${path}, ${last})`,
        );
        cxt.pass(_`${errors} === null`, () => {
          gen.assign(N.vErrors, _`${N.vErrors} === null ? ${errors} : ${N.vErrors}.concat(${errors})`);
          gen.assign(N.errors, _`${N.vErrors}.length`);
        });
      },
    });
  };
  call('required', 'array', 'object');
  call('choices', 'array', 'object');
  call('aligned', 'array', 'object');
  call('resource', 'string');
  ajv.addKeyword({
    keyword: 'fhirNonEmpty',
    type: 'string',
    schemaType: 'boolean',
    code(cxt: KeywordCxt) {
      if (cxt.schema === true) cxt.fail(_`${cxt.data} === ""`);
    },
  });
}

export function keywordOf(method: keyof KeywordHelpers): string {
  return `fhir${method[0]?.toUpperCase()}${method.slice(1)}`;
}

function typeOf(schema: AnySchemaObject): string {
  return typeof schema.fhirType === 'string' ? schema.fhirType : '';
}
