import Ajv, { type AnySchemaObject } from 'ajv';
import { _, type Code, getProperty, Name, nil } from 'ajv/dist/compile/codegen';
import { _Code } from 'ajv/dist/compile/codegen/code';
import { type UsedScopeValues, UsedValueState, type ValueScopeName } from 'ajv/dist/compile/codegen/scope';
import type { SchemaEnv } from 'ajv/dist/compile/index';
import type { AnyValidateFunction, SourceCode } from 'ajv/dist/types';
import type { SchemaDocument } from './runtime/document';
import { addFhirKeywords, type KeywordHelpers } from './runtime/keywords';
import { AJV_OPTIONS, DATATYPES_MODULE, DATATYPES_PARAMETER, HELPERS_PARAMETER } from './runtime/modules';

/** The module a definition's validator belongs to: its resource type's, or the shared data types'. */
export type ModuleOf = (definition: string) => string;

export interface StandaloneModule {
  /** `datatypes` or a concrete resource type. */
  name: string;
  /** The body of the module's factory function: declarations, then `return` of its validator(s). */
  body: string;
}

/**
 * ajv standalone code for every concrete resource type of a document, split into one module per resource
 * type (with its backbone elements) plus one for the data types they share. ajv's own `standaloneCode`
 * puts everything reachable from its entry points in one module; here a reference to a validator of the
 * data types module becomes a property read of the factory's `datatypes` parameter instead of a copy.
 * Pure: the same document gives the same code (ajv numbers its names in compilation order).
 */
export function standaloneModules(document: SchemaDocument, moduleOf: ModuleOf): StandaloneModule[] {
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  // At generation time the helpers are only a key: the code names the factory's parameter instead.
  addFhirKeywords(ajv, {} as KeywordHelpers, new Name(HELPERS_PARAMETER));
  ajv.addSchema(document as unknown as AnySchemaObject);
  const definitionOf = definitionNames(document);
  const resources = Object.entries(document.fhirgen.resources)
    .filter(([, info]) => !info.abstract)
    .map(([name]) => [name, compile(ajv, document, name)] as const);

  const shared = new Map<string, AnyValidateFunction>();
  const modules = resources.map(([resource, validate]): StandaloneModule => {
    const linker = new Linker(ajv, (fn) => {
      const definition = definitionOf(fn);
      const owner = moduleOf(definition);
      if (owner === resource) return undefined;
      if (owner !== DATATYPES_MODULE) throw new Error(`${resource} refers to ${definition} of ${owner}`);
      shared.set(definition, fn);
      return _`${new Name(DATATYPES_PARAMETER)}${getProperty(definition)}`;
    });
    return { name: resource, body: `${linker.code(validate)}\nreturn ${nameOf(validate)};` };
  });

  const linker = new Linker(ajv, (fn) => {
    const definition = definitionOf(fn);
    if (moduleOf(definition) !== DATATYPES_MODULE) throw new Error(`a data type refers to ${definition}`);
    return undefined;
  });
  const exported = [...shared].sort(([a], [b]) => (a < b ? -1 : 1));
  const code = exported.map(([, fn]) => linker.code(fn)).join('\n');
  const table = exported.map(([definition, fn]) => `${JSON.stringify(definition)}: ${nameOf(fn)}`);
  return [{ name: DATATYPES_MODULE, body: `${code}\nreturn {${table.join(', ')}};` }, ...modules];
}

function compile(ajv: Ajv, document: SchemaDocument, resource: string): AnyValidateFunction {
  const validate = ajv.getSchema(`${document.$id}#/definitions/${resource}`);
  if (validate === undefined) throw new Error(`the document has no definition of ${resource}`);
  return validate;
}

/** ajv compiles a function per `$ref` target, and every target is a definition. */
function definitionNames(document: SchemaDocument): (fn: AnyValidateFunction) => string {
  const names = new Map<unknown, string>(
    Object.entries(document.definitions).map(([name, schema]) => [schema, name]),
  );
  return (fn) => {
    const name = names.get(fn.schema);
    if (name === undefined) throw new Error('ajv compiled a schema that is not a definition');
    return name;
  };
}

function nameOf(fn: AnyValidateFunction): string {
  return `${source(fn).validateName}`;
}

function source(fn: AnyValidateFunction | undefined): SourceCode {
  if (fn?.source === undefined) throw new Error('ajv compiled without code.source');
  return fn.source;
}

/**
 * The code of one module, as ajv's standalone `validateCode` builds it: each validator it reaches is
 * emitted once, after the scope values (schemas, patterns, helpers) it uses; validators `external` binds
 * (those of another module) are not followed but bound to the code it returns.
 */
class Linker {
  private readonly used: UsedScopeValues = {};

  constructor(
    private readonly ajv: Ajv,
    private readonly external: (fn: AnyValidateFunction) => Code | undefined,
  ) {}

  code(fn: AnyValidateFunction): string {
    return `${this.validateCode(source(fn))}`;
  }

  private validateCode(code: SourceCode): Code {
    if (this.state(code.validateName) === UsedValueState.Completed) return nil;
    this.setState(code.validateName, UsedValueState.Started);
    const scope = this.ajv.scope.scopeCode(code.scopeValues, this.used, (name) => this.reference(name));
    return new _Code(`${scope}\n${code.validateCode}`);
  }

  /** A validator in scope, directly (`validate12`) or, while compiling a cycle, as `{validate}`. */
  private reference(name: ValueScopeName): Code | undefined {
    const ref = name.value?.ref;
    if (name.prefix === 'validate' && typeof ref === 'function') {
      const fn = ref as AnyValidateFunction;
      const external = this.external(fn);
      return external === undefined ? this.validateCode(source(fn)) : _`const ${name} = ${external};`;
    }
    if ((name.prefix === 'root' || name.prefix === 'wrapper') && typeof ref === 'object' && ref !== null) {
      const env = ref as SchemaEnv;
      const fn = env.validate as AnyValidateFunction | undefined;
      if (env.validateName === undefined || fn === undefined) throw new Error('ajv left a schema uncompiled');
      const external = this.external(fn);
      if (external !== undefined) return _`const ${name} = {validate: ${external}};`;
      const wrapper = _`const ${name} = {validate: ${env.validateName}};`;
      if (this.state(env.validateName) === UsedValueState.Started) return wrapper;
      return _`${wrapper}\n${this.validateCode(source(fn))}`;
    }
    return undefined;
  }

  private state(name: ValueScopeName): UsedValueState | undefined {
    return this.used[name.prefix]?.get(name);
  }

  private setState(name: ValueScopeName, state: UsedValueState): void {
    let names = this.used[name.prefix];
    if (names === undefined) {
      names = new Map();
      this.used[name.prefix] = names;
    }
    names.set(name, state);
  }
}
