/**
 * The security runtime wired into a generated server (SECURITY.md): helmet headers and HSTS on every
 * response, the token service's routes, the bearer middleware in front of everything except
 * `<base>/metadata` and `/.well-known/*`, SMART scopes on every interaction (batch and transaction
 * entries and explicit `_include`/`_revinclude` targets included), patient compartments on what
 * `patient/` scopes see and write, the CapabilityStatement's `rest.security`, and the start-up
 * warnings.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';
import type { VersionBinding } from '../binding';
import type { ResourceGuard } from '../http/guard';
import type { AuthorizeHook } from '../http/settings';
import { FhirHttpError } from '../outcome';
import { capabilitySecurity } from '../security/capability';
import { compartmentParams } from '../security/compartment';
import { type ClientConfig, securityWarnings } from '../security/config';
import { type HookFailure, scopeDecision } from '../security/guard';
import { createSecurity, type Security } from '../security/index';
import { accessFor } from '../security/scopes';
import { hsts, securityHeaders, transportWarnings } from '../security/transport';
import { canSee } from '../security/visibility';
import type { ProjectSecuritySettings } from './security-config';
import { openTokenStore } from './security-store';

export interface SecurityWiring {
  /** App-wide middleware, in order, before the FHIR routes. */
  middleware: RequestHandler[];
  authorize?: AuthorizeHook;
  guard?: (binding: VersionBinding) => ResourceGuard;
  capabilitySecurity?: (binding: VersionBinding) => unknown;
  warnings: string[];
  security?: Security;
  close(): Promise<void>;
}

export const INSUFFICIENT_SCOPE = 'Bearer realm="fhir", error="insufficient_scope"';

export const SECURITY_OFF_WARNING =
  'security is OFF (security.enabled false or SECURITY=off): every FHIR route answers anyone who can reach this address, without a token; never run it like this with real data';

export async function wireSecurity(
  settings: ProjectSecuritySettings,
  listeningUrl: string,
  publicUrl: string | undefined,
  extraClients: ClientConfig[] = [],
): Promise<SecurityWiring> {
  const headers = [securityHeaders(), hsts(settings.transport.hsts)];
  const warnings = transportWarnings(settings.transport);
  if (!settings.enabled) {
    return { middleware: headers, warnings: [SECURITY_OFF_WARNING, ...warnings], close: async () => {} };
  }
  const issuer = settings.options.issuer ?? publicUrl ?? listeningUrl;
  const options = {
    ...settings.options,
    issuer,
    keyFile: path.join(settings.stateDir, 'signing-key.json'),
    clients: [...(settings.options.clients ?? []), ...extraClients],
  };
  mkdirSync(settings.stateDir, { recursive: true, mode: 0o700 });
  const store = await openTokenStore(settings.tokenStore, {
    stateDir: settings.stateDir,
    onStatus: (message) => process.stderr.write(`${message}\n`),
  });
  const security = await createSecurity(options, {
    store,
    audit: settings.auditLog === 'stderr' ? process.stderr : settings.auditLog,
  }).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const bearer = security.bearer;
  const protect: RequestHandler = (req, res, next) => {
    // `/.well-known/*` is public; an unknown document there is a 404 OperationOutcome, not a 401.
    if (req.path.startsWith('/.well-known/')) next();
    else bearer(req, res, next);
  };
  const middleware = [...headers, ...(security.routes ? [security.routes] : []), protect];
  return {
    middleware,
    authorize: scopeHook(security),
    guard: (binding) => compartmentGuard(binding),
    capabilitySecurity: (binding) => capabilitySecurity(security.config, binding.id),
    warnings: [...securityWarnings(security.config), ...warnings],
    security,
    close: () => security.close(),
  };
}

/** The core's errors, with the RFC 6750 challenge on every 403 so that clients know it is about scopes. */
const fail: HookFailure = (status, diagnostics, headers) =>
  new FhirHttpError(
    status,
    // 503: the token state cannot be reached (RFC 9110 §15.6.4), a transient condition in FHIR's terms.
    status === 503 ? [{ severity: 'error', code: 'transient', diagnostics }] : diagnostics,
    status === 403 && headers['WWW-Authenticate'] === undefined
      ? { ...headers, 'WWW-Authenticate': INSUFFICIENT_SCOPE }
      : headers,
  );

/**
 * Scopes per interaction; for a search, the types an `_include` names as its target and the source
 * types of `_revinclude` must be readable too (an `_include` without a target type is filtered by
 * the guard instead).
 */
function scopeHook(security: Security): AuthorizeHook {
  const decide = scopeDecision(security.enforcer, fail);
  return async (info, request) => {
    await decide(info, request);
    if (info.interaction !== 'search-type') return;
    for (const type of includedTypes([...request.query, ...(request.form ?? [])])) {
      await decide({ interaction: 'read', resourceType: type }, request);
    }
  };
}

const TYPE = /^[A-Z][A-Za-z]{1,63}$/;

export function includedTypes(params: [string, string][]): string[] {
  const types = new Set<string>();
  for (const [name, value] of params) {
    const [source, , target] = value.split(':');
    if (/^_include(:|$)/.test(name) && target !== undefined && TYPE.test(target)) types.add(target);
    if (/^_revinclude(:|$)/.test(name) && source !== undefined && TYPE.test(source)) types.add(source);
  }
  return [...types];
}

/** The version's generated Patient compartment (its CompartmentDefinition) decides what `patient/` scopes reach. */
export function compartmentGuard(binding: VersionBinding): ResourceGuard {
  const compartmentOf = compartmentParams(binding.patientCompartment ?? {});
  return {
    restricted: (request, type, interaction) =>
      request.principal !== undefined && accessFor(request.principal.scopes, interaction, type) === 'patient',
    allows: (request, resource, interaction) =>
      request.principal === undefined ||
      canSee(request.principal, resource, {
        compartmentParams: compartmentOf,
        localBases: [request.baseUrl],
        interaction,
      }),
    inCompartment: (type) => compartmentOf(type) !== undefined,
    challenge: { 'WWW-Authenticate': INSUFFICIENT_SCOPE },
  };
}
