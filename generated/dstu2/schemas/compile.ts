import Ajv, { type Options } from 'ajv';
import type { SchemaDocument } from './document';
import { addFhirKeywords } from './keywords';
import { AJV_OPTIONS } from './modules';
import { FhirValidator } from './validator';

/**
 * The validators of a schema document compiled by ajv at run time, each resource type's at its first
 * use; the data types and backbone elements it references are compiled with it and shared by later types.
 * The generated `validators/` modules hold the same code compiled ahead of time, which loads far faster:
 * this is for documents built on the fly (tests, tools), and the reference the modules are checked against.
 */
export function compileValidator(document: SchemaDocument, options: Options = {}): FhirValidator {
  return new FhirValidator(document.fhirgen, (helpers) => {
    const ajv = new Ajv({ ...AJV_OPTIONS, ...options });
    addFhirKeywords(ajv, helpers);
    ajv.addSchema(document as unknown as Record<string, unknown>);
    return (type) => ajv.getSchema(`${document.$id}#/definitions/${type}`);
  });
}
