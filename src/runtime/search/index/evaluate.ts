/**
 * Evaluates search parameter expressions with the `fhirpath` package and the model of the parameter's
 * FHIR version, so that choice elements (`Observation.value`) and `as(Quantity)` resolve, and each
 * result carries its FHIR type (`Period`, `dateTime`, `CodeableConcept`) for normalisation.
 */
import type * as FhirPath from 'fhirpath';
import type { Model } from 'fhirpath';
import type { FhirVersion } from '../table';
import { type CompiledPath, compilePath, PRIMITIVES } from './compile';

interface Loaded {
  fhirpath: typeof FhirPath;
  models: Record<FhirVersion, Model>;
}

let loaded: Loaded | undefined;
const modelsLoaded = new Map<FhirVersion, Model>();

const MODEL_MODULES: Record<FhirVersion, string> = {
  dstu2: 'fhirpath/fhir-context/dstu2',
  stu3: 'fhirpath/fhir-context/stu3',
  r4: 'fhirpath/fhir-context/r4',
};

/** The version's model alone (path→type maps), which compiled extraction reads without the engine. */
function modelOf(version: FhirVersion): Model {
  let model = modelsLoaded.get(version);
  if (!model) {
    model = require(MODEL_MODULES[version]) as Model;
    modelsLoaded.set(version, model);
  }
  return model;
}

/**
 * `fhirpath` and its models take a few hundred milliseconds to load, and a server needs them only
 * when it indexes (a write, a reindex): loaded then, not at every start.
 */
function load(): Loaded {
  loaded ??= {
    fhirpath: require('fhirpath') as typeof FhirPath,
    models: { dstu2: modelOf('dstu2'), stu3: modelOf('stu3'), r4: modelOf('r4') },
  };
  return loaded;
}

/** One value an expression selected: its JSON and, when the model knows it, its FHIR type name. */
export interface SelectedNode {
  value: unknown;
  type?: string;
  /** The element path the value sits at (`Observation.component`), for evaluating composite components. */
  path?: string;
}

/**
 * `base` is the element path of `input` when it is part of a resource (composite components), and
 * `root` the resource it belongs to, which `%resource` names in some component expressions.
 */
export type Evaluate = (input: unknown, expression: string, base?: string, root?: unknown) => SelectedNode[];

interface ResourceNodeLike {
  data: unknown;
  path?: string;
  getTypeInfo?: () => { name?: string } | undefined;
}

export function createEvaluator(version: FhirVersion): Evaluate {
  const compiled = new Map<string, (input: unknown, root: unknown) => unknown[]>();
  return (input, expression, base, root) => {
    const key = `${base ?? ''}\u0000${expression}`;
    let run = compiled.get(key);
    if (!run) {
      const { fhirpath, models } = load();
      const model = models[version];
      const parts = splitUnion(forIndexing(expression)).map((text) =>
        fhirpath.compile(base === undefined ? text : { base, expression: text }, model, {
          resolveInternalTypes: false,
          async: false,
        }),
      );
      run = (data, resource) => parts.flatMap((part) => part(data, { resource }) as unknown[]);
      compiled.set(key, run);
    }
    return run(input, root ?? input).map(toSelectedNode);
  };
}

/**
 * What the indexer evaluates with: each expression compiled once to a function over the JSON
 * (compile.ts) when it is a path the compiler handles, the FHIRPath engine otherwise; the engine is
 * loaded only if some expression needs it.
 */
export function createCompiledEvaluator(version: FhirVersion): Evaluate {
  let engine: Evaluate | undefined;
  const compiled = new Map<string, CompiledPath | null>();
  return (input, expression, base, root) => {
    const key = `${base ?? ''}\u0000${expression}`;
    let path = compiled.get(key);
    if (path === undefined) {
      path = compilePath(expression, modelOf(version), base !== undefined) ?? null;
      compiled.set(key, path);
    }
    const nodes = path?.(input, base);
    if (nodes !== undefined) return nodes;
    engine ??= createEvaluator(version);
    return engine(input, expression, base, root);
  };
}

/** Whether `expression` compiles (compile.ts), or is left to the FHIRPath engine. */
export function compiles(version: FhirVersion, expression: string, relative = false): boolean {
  return compilePath(expression, modelOf(version), relative) !== undefined;
}

function toSelectedNode(result: unknown): SelectedNode {
  if (result !== null && typeof result === 'object' && 'data' in result) {
    const node = result as ResourceNodeLike;
    const type = node.getTypeInfo?.()?.name;
    const selected: SelectedNode = { value: plainData(node.data) };
    if (type) selected.type = type;
    if (typeof node.path === 'string') selected.path = node.path;
    return selected;
  }
  // Plain results of functions (`exists()`, comparisons) and FHIRPath system types.
  const value = load().fhirpath.resolveInternalTypes(result);
  return { value };
}

/**
 * The engine wraps some numbers (DSTU2's positiveInt `Coverage.dependent`) in its own decimal type;
 * the index wants the number the JSON holds.
 */
function plainData(data: unknown): unknown {
  if (typeof data === 'object' && data !== null && 'asStr' in data && 'value' in data) {
    return (data as { value: unknown }).value;
  }
  return data;
}

/**
 * Top-level `|` parts are evaluated one by one and concatenated: a union would remove duplicates by
 * comparing values, and comparing a FHIR Quantity that has a `comparator` throws in FHIRPath.
 * Duplicate index rows are harmless.
 */
export function splitUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const char = expression.charAt(i);
    if (char === "'" && expression.charAt(i - 1) !== '\\') quoted = !quoted;
    else if (quoted) continue;
    else if (char === '(' || char === '[') depth++;
    else if (char === ')' || char === ']') depth--;
    else if (char === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts.filter((part) => part !== '');
}

/** The rewrites below, in order; each keeps the meaning the definition intends. */
export function forIndexing(expression: string): string {
  return withCollectionCasts(withoutResolve(expression));
}

/**
 * FHIRPath's `as` wants a single item, yet the published expressions apply it to collections
 * (`(ActivityDefinition.useContext.value as CodeableConcept)`); later versions of the specification
 * replaced these with `ofType()`, which filters each item, and that is what the definitions mean.
 * Types are qualified with `FHIR.`: an unqualified `Quantity` is FHIRPath's own System.Quantity,
 * which a FHIR Quantity with a `comparator` cannot become. STU3 also capitalises primitive types
 * (`as(Uri)`), which names no FHIR type.
 */
export function withCollectionCasts(expression: string): string {
  const fhirType = (name: string) => {
    const lower = name.charAt(0).toLowerCase() + name.slice(1);
    return `FHIR.${PRIMITIVES.has(lower) ? lower : name}`;
  };
  return expression
    .replace(
      /([A-Za-z][\w.]*(?:\([^()]*\))?)\s+as\s+([A-Za-z]+)/g,
      (_m, path: string, type: string) => `${path}.ofType(${fhirType(type)})`,
    )
    .replace(/\.as\(([A-Za-z]+)\)/g, (_m, type: string) => `.ofType(${fhirType(type)})`);
}

/**
 * `resolve()` would fetch the referenced resource; for indexing, `where(resolve() is Patient)` only
 * asks whether the reference points at a Patient, which the reference text says
 * (https://hl7.org/fhir/R4/fhirpath.html#functions notes servers may evaluate it this way).
 */
export function withoutResolve(expression: string): string {
  return expression.replace(
    /resolve\(\)\s+is\s+([A-Za-z]+)/g,
    (_match, type: string) => `(reference.startsWith('${type}/') or reference.contains('/${type}/'))`,
  );
}
