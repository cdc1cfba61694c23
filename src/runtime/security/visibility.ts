import type { Principal } from '../contracts';
import { type CompartmentParam, inPatientCompartment } from './compartment';
import { accessFor, type Interaction } from './scopes';

/**
 * Which of a set of resources the caller may see: the entries of a search Bundle, its `_include` and
 * `_revinclude` results, or what a batch/transaction entry returns. Each resource is checked like a
 * direct read of its type (SECURITY.md "Authorization"): a type the scopes do not cover is hidden,
 * and under `patient/` scopes only resources in the token's patient compartment are shown.
 */
export interface VisibilityOptions {
  /** The patient compartment's params for a resource type; undefined when the type is not in it. */
  compartmentParams: (resourceType: string) => readonly CompartmentParam[] | undefined;
  /** This server's absolute base URLs, for absolute references. */
  localBases?: readonly string[];
  interaction?: Interaction;
}

export interface Visibility<R> {
  visible: R[];
  hidden: R[];
}

export function splitVisible<R extends { resourceType?: unknown; id?: unknown }>(
  principal: Principal,
  resources: readonly R[],
  options: VisibilityOptions,
): Visibility<R> {
  const visible: R[] = [];
  const hidden: R[] = [];
  for (const resource of resources) {
    (canSee(principal, resource, options) ? visible : hidden).push(resource);
  }
  return { visible, hidden };
}

export function canSee(
  principal: Principal,
  resource: { resourceType?: unknown; id?: unknown },
  options: VisibilityOptions,
): boolean {
  if (typeof resource.resourceType !== 'string') return false;
  const access = accessFor(principal.scopes, options.interaction ?? 'read', resource.resourceType);
  if (access === 'full') return true;
  if (access === 'none' || principal.patient === undefined) return false;
  const params = options.compartmentParams(resource.resourceType) ?? [];
  return inPatientCompartment(resource, principal.patient, params, options.localBases);
}
