import { parseScope, type SmartScope } from './scopes';

/**
 * Which of the scopes a client asks for at the token endpoint it gets. Clients ask for what they
 * need, not for the literal strings they were registered with, so a requested resource scope is
 * granted when one registered scope covers it: same context, the registered type equal or `*`, and
 * the requested permissions a subset of the registered ones, v1 and v2 being one model (SMART App
 * Launch 2.x "Scopes for requesting FHIR resources": `read` = `rs`, `write` = `cud`, `*` = `cruds`).
 */

/** Whether `registered` grants everything `requested` asks for. */
export function covers(registered: SmartScope, requested: SmartScope): boolean {
  if (registered.context !== requested.context) return false;
  if (registered.resourceType !== '*' && registered.resourceType !== requested.resourceType) return false;
  for (const permission of requested.permissions) {
    if (!registered.permissions.has(permission)) return false;
  }
  return true;
}

export interface ScopeGrant {
  /** The requested scopes that are granted, in the order asked, as the client spelled them. */
  granted: string[];
  /** The requested scopes that are not. */
  refused: string[];
}

/**
 * RFC 6749 §3.3: the server may grant fewer scopes than asked and then says which in the token
 * response (§5.1). Scopes that are not resource scopes (`openid`, `fhirUser`, `launch/patient`,
 * `offline_access`) are granted only when registered as they are, and are otherwise left out
 * without an error. No request means every registered scope.
 */
export function grantRequested(requested: string | undefined, registered: readonly string[]): ScopeGrant {
  if (requested === undefined || requested.trim() === '') return { granted: [...registered], refused: [] };
  const resourceScopes = registered.flatMap((scope) => parseScope(scope) ?? []);
  const grant: ScopeGrant = { granted: [], refused: [] };
  for (const scope of new Set(requested.split(' ').filter((item) => item.length > 0))) {
    const parsed = parseScope(scope);
    const ok = parsed ? resourceScopes.some((own) => covers(own, parsed)) : registered.includes(scope);
    (ok ? grant.granted : grant.refused).push(scope);
  }
  return grant;
}
