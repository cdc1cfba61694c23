/**
 * Evaluates the constraints of `generated/<version>/invariants/invariants.json` on a resource: each
 * constraint on every node its element path selects (resources, contained resources, Bundle entries,
 * data types wherever they occur, backbone elements, primitives), with `%resource` and
 * `%rootResource` as https://hl7.org/fhir/R4/fhirpath.html#variables defines them: a contained
 * resource's `%rootResource` is its container; a Bundle entry's resource is its own root.
 *
 * Engine: HL7's `fhirpath` package, each expression parsed once (`fhirpath.compile`, with the node's
 * element path as base so that types are known) when the evaluator is made. The alternative is
 * compiling expressions to JavaScript at generation time. Measured (`npm run bench invariants`,
 * official examples, structure then invariants, 2 shared cores): with every constraint through the
 * engine R4 runs at about 290 resources/s, STU3 460, DSTU2 350; with `ele-1` and `ext-1` in
 * JavaScript (native.ts) 640, 600 and 410, for structure alone at 9,000-14,000. Those two sit on
 * nearly every node, are trivial in JavaScript, and the engine cannot even type a bare JSON primitive
 * for `hasValue()`; so they are compiled by hand. The other few hundred distinct expressions use the
 * whole of FHIRPath (descendants, iif, resolve, htmlChecks, regexes, dates compared with their
 * precision): a compiler of ours would need its own conformance suite, where the engine is HL7's and
 * ships the DSTU2, STU3 and R4 models. Per-call set-up in the engine dominates what remains.
 *
 * A constraint is broken when its expression yields `false`. An empty result is not a violation: a
 * comparison between dates of different precision is empty in FHIRPath, and the specification does
 * not reject what it cannot decide. An expression that throws is reported as a warning, never dropped.
 */
import * as fhirpath from 'fhirpath';
import type { InvariantData, InvariantRule, WalkStructure } from './data';
import {
  bundleIndex,
  type FunctionContext,
  invocationTable,
  type JsonObject,
  type NodeScope,
} from './functions';
import { ele1Object, ele1Primitive, ext1, NATIVE_KEYS } from './native';

export type FhirpathModel = Parameters<typeof fhirpath.compile>[1];

export interface InvariantViolation {
  key: string;
  severity: 'error' | 'warning';
  human: string;
  /** FHIRPath location of the node: `Observation.component[1]`. */
  location: string;
  /** Set when the expression could not be evaluated (the violation is then a warning). */
  failure?: string;
}

export interface EvaluatorOptions {
  /** The engine's model of the version (`fhirpath/fhir-context/r4` ...). */
  model: FhirpathModel;
  /** ValueSet URL -> members as `system|code` (`generated/<version>/server/value-sets.json`). */
  valueSets?: Readonly<Record<string, readonly string[]>>;
  /** The structural validator, for `conformsTo()`. */
  validate?: (resource: JsonObject) => boolean;
  /** Evaluate ele-1 and ext-1 through the engine too (for measurements and the native tests). */
  engineOnly?: boolean;
}

type Check = (node: unknown, sibling: unknown, scope: NodeScope) => boolean | string;

interface CompiledRule {
  rule: InvariantRule;
  check: Check;
}

export class InvariantEvaluator {
  private readonly compiled = new Map<string, CompiledRule>();
  private readonly rulesAt = new Map<string, CompiledRule[]>();
  private current: NodeScope | undefined;
  private readonly table: Record<string, unknown>;

  constructor(
    private readonly data: InvariantData,
    private readonly options: EvaluatorOptions,
  ) {
    const context: FunctionContext = {
      scope: () => this.current ?? { resource: {}, rootResource: {} },
      valueSets: options.valueSets ?? {},
      isA: (type, wanted) => this.isA(type, wanted),
    };
    if (options.validate !== undefined) context.validate = options.validate;
    this.table = invocationTable(context);
    // Every expression is parsed here, once per element path it sits on.
    for (const [owner, byPath] of Object.entries(data.constraints)) {
      for (const path of Object.keys(byPath)) this.rules(owner, path);
    }
  }

  /** How many distinct (expression, element path) pairs were compiled. */
  get compiledCount(): number {
    return this.compiled.size;
  }

  /** The constraints a resource breaks, in document order. */
  check(resource: unknown): InvariantViolation[] {
    const violations: InvariantViolation[] = [];
    if (resource === null || typeof resource !== 'object') return violations;
    const root = resource as JsonObject;
    const type = String(root.resourceType);
    this.visitResource(root, type, { resource: root, rootResource: root }, violations);
    return violations;
  }

  private visitResource(
    resource: JsonObject,
    location: string,
    outer: NodeScope,
    out: InvariantViolation[],
  ): void {
    const type = resource.resourceType;
    if (typeof type !== 'string' || this.data.structures[type] === undefined) return;
    const scope: NodeScope = { ...outer };
    // resolve() inside a Bundle finds its entries (https://hl7.org/fhir/R4/bundle.html#references).
    if (Array.isArray(resource.entry) && this.isA(type, 'Bundle')) scope.bundle = bundleIndex(resource);
    this.evaluate(resource, undefined, this.typeRules(type, []), location, scope, out);
    this.visitChildren(resource, type, location, scope, out);
  }

  private visitChildren(
    node: JsonObject,
    structureName: string,
    location: string,
    scope: NodeScope,
    out: InvariantViolation[],
  ): void {
    const structure = this.data.structures[structureName];
    if (structure === undefined) return;
    for (const [name, type, kind, path] of structure.elements) {
      const value = node[name];
      const sibling = node[`_${name}`];
      if (value === undefined && sibling === undefined) continue;
      const items = Array.isArray(value) ? value : [value];
      const siblings = Array.isArray(sibling) ? sibling : [sibling];
      const count = Math.max(
        value === undefined ? 0 : items.length,
        sibling === undefined ? 0 : siblings.length,
      );
      for (let i = 0; i < count; i++) {
        const at =
          Array.isArray(value) || Array.isArray(sibling)
            ? `${location}.${name}[${i}]`
            : `${location}.${name}`;
        const item = items[i];
        if (kind === 'p') {
          const extra = siblings[i];
          this.evaluate(item, extra, this.rules(structure.owner, path), at, scope, out);
          if (extra !== null && typeof extra === 'object')
            this.visitChildren(extra as JsonObject, 'Element', at, scope, out);
          continue;
        }
        if (item === null || typeof item !== 'object') continue;
        const object = item as JsonObject;
        if (kind === 'r') {
          // A contained resource's %rootResource is its container; any other resource is its own root.
          const root = name === 'contained' ? scope.rootResource : object;
          this.visitResource(object, at, { ...scope, resource: object, rootResource: root }, out);
          continue;
        }
        const own =
          kind === 'b' ? this.backboneRules(type) : this.typeRules(type, this.rules(structure.owner, path));
        this.evaluate(
          object,
          undefined,
          kind === 'b' ? [...own, ...this.rules(structure.owner, path)] : own,
          at,
          scope,
          out,
        );
        this.visitChildren(object, type, at, scope, out);
      }
    }
  }

  private evaluate(
    node: unknown,
    sibling: unknown,
    rules: CompiledRule[],
    location: string,
    scope: NodeScope,
    out: InvariantViolation[],
  ): void {
    const seen = new Set<string>();
    for (const { rule, check } of rules) {
      if (seen.has(rule.key)) continue;
      seen.add(rule.key);
      const outcome = check(node, sibling, scope);
      if (outcome === true) continue;
      const violation: InvariantViolation = {
        key: rule.key,
        severity: outcome === false ? rule.severity : 'warning',
        human: rule.human,
        location,
      };
      if (typeof outcome === 'string') violation.failure = outcome;
      out.push(violation);
    }
  }

  /** The rules on a type's root and on the roots of the types it specialises, after `first`. */
  private typeRules(type: string, first: CompiledRule[]): CompiledRule[] {
    const key = `type|${type}|${first.length}`;
    const memo = first.length === 0 ? this.rulesAt.get(key) : undefined;
    if (memo !== undefined) return memo;
    const rules = [...first];
    const visited = new Set<string>();
    for (let current: string | undefined = type; current !== undefined && !visited.has(current); ) {
      visited.add(current);
      rules.push(...this.rules(current, current));
      current = this.data.structures[current]?.base;
    }
    if (first.length === 0) this.rulesAt.set(key, rules);
    return rules;
  }

  private backboneRules(name: string): CompiledRule[] {
    const structure: WalkStructure | undefined = this.data.structures[name];
    return structure === undefined ? [] : this.rules(structure.owner, structure.path);
  }

  private rules(owner: string, path: string): CompiledRule[] {
    const id = `${owner}|${path}`;
    const known = this.rulesAt.get(id);
    if (known !== undefined) return known;
    const indexes = this.data.constraints[owner]?.[path] ?? [];
    const rules = indexes.flatMap((index) => {
      const rule = this.data.rules[index];
      return rule === undefined ? [] : [this.compile(rule, owner, path)];
    });
    this.rulesAt.set(id, rules);
    return rules;
  }

  private compile(rule: InvariantRule, owner: string, path: string): CompiledRule {
    const isResource =
      this.data.structures[owner] !== undefined && this.isResourceType(owner) && owner === path;
    // The engine types the node from its base path; a choice path names no single type.
    const base = isResource || path.includes('[x]') ? undefined : path;
    const id = `${rule.expression}|${base ?? ''}`;
    const known = this.compiled.get(id);
    if (known !== undefined) return { rule, check: known.check };
    const check =
      this.options.engineOnly || !NATIVE_KEYS.has(rule.key)
        ? this.engineCheck(rule, base)
        : nativeCheck(rule.key);
    const compiled = { rule, check };
    this.compiled.set(id, compiled);
    return compiled;
  }

  private engineCheck(rule: InvariantRule, base: string | undefined): Check {
    let run: ReturnType<typeof fhirpath.compile>;
    try {
      const expression = base === undefined ? rule.expression : { base, expression: rule.expression };
      run = fhirpath.compile(expression, this.options.model, {
        userInvocationTable: this.table,
        traceFn: ignoreTrace,
      } as never);
    } catch (error) {
      const message = `cannot be parsed: ${(error as Error).message}`;
      return () => message;
    }
    // The engine wraps each variable it is given on every call: only expressions that read them get them.
    const usesVariables = /%(resource|rootResource)\b/.test(rule.expression);
    return (node, _sibling, scope) => {
      if (node === undefined || node === null) return true;
      this.current = scope;
      try {
        const variables = usesVariables ? { resource: scope.resource, rootResource: scope.rootResource } : {};
        const result = run(node, variables) as unknown[];
        return !(result.length === 1 && result[0] === false);
      } catch (error) {
        return `could not be evaluated: ${(error as Error).message}`;
      } finally {
        this.current = undefined;
      }
    };
  }

  private isResourceType(type: string): boolean {
    return this.isA(type, 'Resource');
  }

  /** Whether `type` is `wanted` or specialises it. */
  isA(type: string, wanted: string): boolean {
    const visited = new Set<string>();
    for (let current: string | undefined = type; current !== undefined && !visited.has(current); ) {
      if (current === wanted) return true;
      visited.add(current);
      current = this.data.structures[current]?.base;
    }
    return false;
  }
}

function nativeCheck(key: string): Check {
  if (key === 'ext-1') return (node) => node === null || typeof node !== 'object' || ext1(node as JsonObject);
  return (node, sibling) =>
    node !== null && typeof node === 'object' && !Array.isArray(node)
      ? ele1Object(node as JsonObject)
      : ele1Primitive(node, sibling);
}

/** Published expressions call `trace()` (dom-3, ref-1); its output is of no use to a validator. */
function ignoreTrace(): void {}
