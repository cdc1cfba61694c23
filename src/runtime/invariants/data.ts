/**
 * The shape of `generated/<version>/invariants/invariants.json`: what an invariant evaluator needs to
 * walk a resource and know, at each node, which constraints hold there. Data only, so that a
 * generated project copies it without new dependencies.
 */

/** One element of a structure: JSON name, type name, kind (`p`rimitive, `c`omplex, `b`ackbone, `r`esource), path. */
export type WalkElement = [name: string, type: string, kind: 'p' | 'c' | 'b' | 'r', path: string];

export interface WalkStructure {
  /** The resource or data type whose snapshot defines the structure. */
  owner: string;
  /** Its element path: `Observation`, `Observation.component`, `Period`. */
  path: string;
  /** The type it specialises or constrains (`DomainResource`, `Quantity` for `Age`), whose root constraints hold too. */
  base?: string;
  elements: WalkElement[];
}

export interface InvariantRule {
  key: string;
  severity: 'error' | 'warning';
  human: string;
  expression: string;
}

export interface InvariantData {
  fhirVersion: string;
  /** Resources, data types and backbones by class name. */
  structures: Record<string, WalkStructure>;
  /** The distinct checked rules; `constraints` points into this list. */
  rules: InvariantRule[];
  /** owner -> element path -> indexes into `rules`. */
  constraints: Record<string, Record<string, number[]>>;
}
