import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Principal } from '../contracts';
import { principalOf } from './bearer';
import type { Decision, ScopeEnforcer } from './enforcer';
import { operationOutcome, RETRY_AFTER_SECONDS, sendUnavailable, UNAVAILABLE } from './responses';
import type { Interaction } from './scopes';
import { isStoreUnavailable } from './token-store';

/**
 * Two ways to put scope enforcement in front of a FHIR interaction: an Express middleware for a
 * route whose interaction and type are known, and a hook for the framework-free handlers (which also
 * call it for every batch/transaction entry).
 */
export function requireScope(
  enforcer: ScopeEnforcer,
  interaction: Interaction,
  resourceType: string | ((req: Request) => string),
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const principal = principalOf(res);
    const type = typeof resourceType === 'string' ? resourceType : resourceType(req);
    if (!principal) {
      next(new Error('requireScope needs bearerAuth in front of it'));
      return;
    }
    enforcer.check(principal, interaction, type).then(
      (decision) => {
        if (decision.allowed) {
          res.locals.access = decision.access;
          next();
          return;
        }
        res.status(decision.status);
        res.setHeader('WWW-Authenticate', decision.wwwAuthenticate);
        res.setHeader('Content-Type', 'application/fhir+json; charset=utf-8');
        res.end(
          JSON.stringify(
            operationOutcome(decision.status === 401 ? 'login' : 'forbidden', decision.diagnostics),
          ),
        );
      },
      unavailableOr(res, next),
    );
  };
}

/** The core's interaction names, mapped to the SMART permission that covers each. */
const HOOK_INTERACTIONS: Readonly<Record<string, Interaction | 'public' | 'entries' | 'system'>> = {
  read: 'read',
  vread: 'vread',
  'history-instance': 'history-instance',
  create: 'create',
  update: 'update',
  patch: 'patch',
  delete: 'delete',
  'search-type': 'search-type',
  'history-type': 'history-type',
  // $validate stores nothing but is a write-shaped request: it needs the permission to create.
  validate: 'create',
  // Custom operations ($everything and the like) read data.
  operation: 'read',
  capabilities: 'public',
  // A Bundle itself needs nothing; each of its entries is authorized as a request of its own.
  batch: 'entries',
  transaction: 'entries',
  bundle: 'entries',
  // System-wide history spans every type: only a `*` scope with `s` covers it.
  'history-system': 'system',
};

export interface HookInfo {
  interaction: string;
  resourceType?: string;
  id?: string;
}

export type HookFailure = (
  status: 401 | 403 | 503,
  diagnostics: string,
  headers: Record<string, string>,
) => Error;

/** A denial counts towards abuse revocation in the token store; without the store, fail closed with 503. */
function unavailableOr(res: Response, next: NextFunction) {
  return (error: unknown) => {
    if (isStoreUnavailable(error)) sendUnavailable(res, UNAVAILABLE);
    else next(error);
  };
}

/**
 * The scope decision for one interaction of the framework-free handlers: undefined when the
 * interaction needs no scope (capabilities; a Bundle, whose entries are decided one by one), the
 * allowed decision otherwise (`access: 'patient'` means results must stay in the patient's
 * compartment), or the error `fail` builds (the core's FhirHttpError) is thrown.
 */
export function scopeDecision(enforcer: ScopeEnforcer, fail: HookFailure) {
  return async (info: HookInfo, request: { principal?: Principal }): Promise<Decision | undefined> => {
    const mapped = HOOK_INTERACTIONS[info.interaction];
    if (mapped === 'public' || mapped === 'entries') return undefined;
    const principal = request.principal;
    if (!principal) {
      throw fail(401, 'no bearer token', {
        'WWW-Authenticate': 'Bearer realm="fhir", error="invalid_token"',
      });
    }
    const interaction = mapped === 'system' ? 'history-type' : mapped;
    const type = mapped === 'system' ? '*' : info.resourceType;
    if (interaction === undefined || type === undefined) {
      throw fail(403, `unknown interaction ${info.interaction}`, {});
    }
    let decision: Decision;
    try {
      decision = await enforcer.check(principal, interaction, type);
    } catch (error) {
      if (!isStoreUnavailable(error)) throw error;
      throw fail(503, UNAVAILABLE, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
    }
    if (!decision.allowed) {
      throw fail(decision.status, decision.diagnostics, { 'WWW-Authenticate': decision.wwwAuthenticate });
    }
    // A patient-scoped token reaches one Patient only: the one in its context.
    if (
      decision.access === 'patient' &&
      type === 'Patient' &&
      info.id !== undefined &&
      info.id !== principal.patient
    ) {
      throw fail(403, "outside the token's patient compartment", {});
    }
    return decision;
  };
}

/** The same decision in the shape of the core's `AuthorizeHook`: resolves when allowed, throws otherwise. */
export function authorizeHook(enforcer: ScopeEnforcer, fail: HookFailure) {
  const decide = scopeDecision(enforcer, fail);
  return async (info: HookInfo, request: { principal?: Principal }): Promise<void> => {
    await decide(info, request);
  };
}
