/**
 * Compiled extraction: most search parameter expressions are paths (`Patient.name.given`), with choice
 * elements (`Observation.value`), type filters (`as Quantity`, `.as(Uri)`, `ofType()`), `where(field =
 * 'value')`, `where(resolve() is Patient)` and `|` unions. Those are turned once into plain functions
 * over the JSON, which cost a fraction of the FHIRPath engine's evaluation; each selected node carries
 * the FHIR type the version's model (the `fhirpath` package's path→type maps) gives its element, as the
 * engine's nodes do, for normalisation. Anything else (functions, indexes, `%resource`) is left to the
 * engine: `compilePath` returns undefined, and evaluate.ts falls back.
 */
import type { Model } from 'fhirpath';
import type { SelectedNode } from './evaluate';

type Json = Record<string, unknown>;
interface PathModel {
  choiceTypePaths: Record<string, string[]>;
  pathsDefinedElsewhere: Record<string, string>;
  type2Parent: Record<string, string>;
  path2Type: Record<string, string>;
}

/** A node while walking: its JSON, and where its children are looked up in the model. */
interface Walk {
  value: unknown;
  /** The model path its children hang off: its type, or its element path for backbone elements. */
  path: string;
  type?: string;
}

type Step = (nodes: Walk[]) => Walk[];
/** Undefined when the input reaches an element the model does not know: the engine answers then. */
export type CompiledPath = (input: unknown, base?: string) => SelectedNode[] | undefined;

class Unsupported extends Error {}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Compiles `expression`; undefined when it uses more than this subset. */
export function compilePath(expression: string, model: Model, relative: boolean): CompiledPath | undefined {
  try {
    const parser = new Parser(tokenize(expression), model as unknown as PathModel, relative);
    const run = parser.union();
    parser.end();
    return (input, base) => {
      const start: Walk = isObject(input)
        ? { value: input, path: base ?? String(input.resourceType ?? '') }
        : { value: input, path: base ?? '' };
      let nodes: Walk[];
      try {
        nodes = run([start]);
      } catch (error) {
        if (error instanceof Unsupported) return undefined;
        throw error;
      }
      return nodes.map((node) => {
        const selected: SelectedNode = { value: node.value };
        if (node.type !== undefined) selected.type = node.type;
        selected.path = node.path;
        return selected;
      });
    };
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

/**
 * The expression with its spacing made uniform (`where(system = 'phone')` and
 * `where(system='phone')` alike), for comparing definitions (sql/keys.ts).
 */
export function canonicalExpression(expression: string): string {
  return tokenize(expression).join(' ');
}

const TOKEN = /\s*(?:([A-Za-z_][\w]*)|('(?:[^'\\]|\\.)*')|(\S))/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const match = TOKEN.exec(text);
    if (!match) break;
    const token = match[1] ?? match[2] ?? match[3];
    if (token !== undefined) tokens.push(token);
  }
  return tokens;
}

/** FHIR's primitive type names, which the `fhirpath` models spell in lower case (`FHIR.dateTime`). */
export const PRIMITIVES = new Set([
  'boolean',
  'integer',
  'string',
  'decimal',
  'uri',
  'url',
  'canonical',
  'base64Binary',
  'instant',
  'date',
  'dateTime',
  'time',
  'code',
  'oid',
  'id',
  'markdown',
  'unsignedInt',
  'positiveInt',
  'uuid',
  'xhtml',
]);

/** `Quantity`, `FHIR.Quantity`, STU3's `Uri` and `DateTime`: the FHIR type name. */
function fhirType(name: string): string {
  const bare = name.startsWith('FHIR.') ? name.slice(5) : name;
  const lower = bare.charAt(0).toLowerCase() + bare.slice(1);
  return PRIMITIVES.has(lower) ? lower : bare;
}

class Parser {
  private at = 0;
  constructor(
    private readonly tokens: string[],
    private readonly model: PathModel,
    private readonly relative: boolean,
  ) {}

  end(): void {
    if (this.at !== this.tokens.length) throw new Unsupported();
  }

  private peek(offset = 0): string | undefined {
    return this.tokens[this.at + offset];
  }

  private take(expected?: string): string {
    const token = this.tokens[this.at++];
    if (token === undefined || (expected !== undefined && token !== expected)) throw new Unsupported();
    return token;
  }

  /** `a | b | c`: concatenated in order, duplicates kept (evaluate.ts `splitUnion`). */
  union(): Step {
    const parts = [this.chain()];
    while (this.peek() === '|') {
      this.take();
      parts.push(this.chain());
    }
    if (parts.length === 1) return parts[0] as Step;
    return (nodes) => parts.flatMap((part) => part(nodes));
  }

  private chain(): Step {
    let step = this.term();
    for (;;) {
      const next = this.peek();
      if (next === '.') {
        this.take();
        step = then(step, this.member());
      } else if (next === 'as') {
        this.take();
        step = then(step, this.ofType(this.typeName()));
      } else return step;
    }
  }

  private term(): Step {
    if (this.peek() === '(') {
      this.take();
      const inner = this.union();
      this.take(')');
      return inner;
    }
    const name = this.take();
    if (!/^[A-Za-z]/.test(name)) throw new Unsupported();
    // `Patient.name`: the resource type (or `Resource`, `DomainResource`) names the input itself.
    if (!this.relative && /^[A-Z]/.test(name))
      return (nodes) => nodes.filter((node) => this.isA(node.path, name));
    return this.child(name);
  }

  private member(): Step {
    const name = this.take();
    if (this.peek() !== '(') return this.child(name);
    this.take('(');
    let step: Step;
    if (name === 'as' || name === 'ofType') step = this.ofType(this.typeName());
    else if (name === 'where') step = this.where();
    else throw new Unsupported();
    this.take(')');
    return step;
  }

  private typeName(): string {
    let name = this.take();
    if (name === 'FHIR' && this.peek() === '.') {
      this.take();
      name = this.take();
    }
    if (!/^[A-Za-z]+$/.test(name)) throw new Unsupported();
    return fhirType(name);
  }

  /** `where(field = 'text')` and `where(resolve() is Type)`. */
  private where(): Step {
    if (this.peek() === 'resolve') {
      this.take();
      this.take('(');
      this.take(')');
      this.take('is');
      const type = this.typeName();
      // resolve() only to ask the target's type, which the reference says (evaluate.ts `withoutResolve`).
      return (nodes) =>
        nodes.filter((node) => {
          const reference = isObject(node.value) ? node.value.reference : undefined;
          return (
            typeof reference === 'string' &&
            (reference.startsWith(`${type}/`) || reference.includes(`/${type}/`))
          );
        });
    }
    const field = this.take();
    if (!/^[a-z]\w*$/.test(field)) throw new Unsupported();
    this.take('=');
    const literal = this.take();
    if (!literal.startsWith("'") || literal.includes('\\')) throw new Unsupported();
    const text = literal.slice(1, -1);
    return (nodes) =>
      nodes.filter((node) => {
        if (!isObject(node.value)) return false;
        const found = node.value[field];
        // FHIRPath `=` on a collection of one compares its item; on more, it is empty (false).
        const one = Array.isArray(found) ? (found.length === 1 ? found[0] : undefined) : found;
        return one === text;
      });
  }

  private ofType(type: string): Step {
    return (nodes) => nodes.filter((node) => node.type !== undefined && this.isA(node.type, type));
  }

  private isA(type: string, wanted: string): boolean {
    for (let at: string | undefined = type; at !== undefined; at = this.model.type2Parent[at]) {
      if (at === wanted) return true;
    }
    return false;
  }

  /** A child element by name: a choice element by each of its types, like the engine. */
  private child(name: string): Step {
    if (!/^[a-z]\w*$/.test(name) || name === 'as' || name === 'is') throw new Unsupported();
    const model = this.model;
    // Resolved per parent path, once: the parents a step meets are few (types, backbone paths).
    const resolved = new Map<string, Resolved>();
    return (nodes) => {
      const out: Walk[] = [];
      for (const node of nodes) {
        if (!isObject(node.value)) continue;
        let how = resolved.get(node.path);
        if (how === undefined) {
          how = resolve(model, node.path, name);
          resolved.set(node.path, how);
        }
        for (const [key, type, path] of how) {
          const found = node.value[key];
          if (found === undefined || found === null) continue;
          if (Array.isArray(found)) {
            for (const item of found) if (item !== null) out.push(walk(item, type, path));
          } else out.push(walk(found, type, path));
        }
      }
      return out;
    };
  }
}

/** The JSON keys a child name reads, with the type and model path of what each holds. */
type Resolved = [key: string, type: string, path: string][];

function resolve(model: PathModel, parent: string, name: string): Resolved {
  for (let at: string | undefined = parent; at !== undefined; at = model.type2Parent[at]) {
    let path = `${at}.${name}`;
    path = model.pathsDefinedElsewhere[path] ?? path;
    const choices = model.choiceTypePaths[path];
    if (choices) {
      return choices.map((choice) => {
        const type = fhirType(choice);
        return [`${name}${choice}`, type, type];
      });
    }
    const type = model.path2Type[path];
    if (type !== undefined) {
      // Backbone elements are looked up by their element path, data types by their type.
      const backbone = type === 'BackboneElement' || type === 'Element';
      return [[name, type, backbone ? path : type]];
    }
  }
  // An element the model does not know: the engine would throw or select nothing; the compiled path
  // must not guess, so the whole expression goes to the engine.
  throw new Unsupported();
}

function walk(value: unknown, type: string, path: string): Walk {
  return { value, type, path };
}

function then(first: Step, second: Step): Step {
  return (nodes) => second(first(nodes));
}
