/**
 * SMART on FHIR scopes, v1 (`patient/Observation.read`, `user/*.*`, `system/*.write`) and v2
 * (`patient/Observation.rs`: a non-empty subset of `cruds`, letters in that order), as the SMART App
 * Launch 2.0 "Scopes and Launch Context" page defines them, mapped to FHIR interactions:
 * c = create, r = read/vread/instance history, u = update/patch, d = delete, s = search/type history.
 */
export type Interaction =
  | 'read'
  | 'vread'
  | 'history-instance'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'search-type'
  | 'history-type';

export type Permission = 'c' | 'r' | 'u' | 'd' | 's';
export type ScopeContext = 'patient' | 'user' | 'system';

export const PERMISSION_OF: Readonly<Record<Interaction, Permission>> = {
  create: 'c',
  read: 'r',
  vread: 'r',
  'history-instance': 'r',
  update: 'u',
  patch: 'u',
  delete: 'd',
  'search-type': 's',
  'history-type': 's',
};

export interface SmartScope {
  context: ScopeContext;
  /** A resource type, or `*` for all. */
  resourceType: string;
  permissions: ReadonlySet<Permission>;
}

// v1 `read` covers reading and searching, `write` creating, updating and deleting (SMART 2.0
// "Scopes for requesting FHIR Resources", table of v1 to v2 equivalents: read = rs, write = cud).
const V1_PERMISSIONS: Readonly<Record<string, Permission[]>> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': ['c', 'r', 'u', 'd', 's'],
};

const SCOPE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]{1,63})\.([a-z*]+)$/;
const V2_LETTERS = /^c?r?u?d?s?$/;

/**
 * Parses one scope; anything else (openid, launch, v2 scopes with `?` search restrictions, which
 * this server cannot enforce) gives undefined and grants nothing.
 */
export function parseScope(scope: string): SmartScope | undefined {
  const match = SCOPE.exec(scope);
  if (!match) return undefined;
  const [, context, resourceType, action] = match as unknown as [string, ScopeContext, string, string];
  const v1 = V1_PERMISSIONS[action];
  if (v1) return { context, resourceType, permissions: new Set(v1) };
  if (action.length === 0 || !V2_LETTERS.test(action)) return undefined;
  return { context, resourceType, permissions: new Set(action as unknown as Permission[]) };
}

/**
 * How much a set of scopes allows for one interaction on one resource type: `full` through a
 * `user/` or `system/` scope, `patient` when only `patient/` scopes allow it (the caller must then
 * keep to the patient's compartment), `none` otherwise.
 */
export type Access = 'full' | 'patient' | 'none';

export function accessFor(scopes: readonly string[], interaction: Interaction, resourceType: string): Access {
  const permission = PERMISSION_OF[interaction];
  let access: Access = 'none';
  for (const text of scopes) {
    const scope = parseScope(text);
    if (!scope?.permissions.has(permission)) continue;
    if (scope.resourceType !== '*' && scope.resourceType !== resourceType) continue;
    if (scope.context !== 'patient') return 'full';
    access = 'patient';
  }
  return access;
}

export function isAllowed(
  scopes: readonly string[],
  interaction: Interaction,
  resourceType: string,
): boolean {
  return accessFor(scopes, interaction, resourceType) !== 'none';
}

/** The narrowest v2 scopes that would allow the interaction, for the `scope` attribute of a 403. */
export function scopesNeeded(interaction: Interaction, resourceType: string): string {
  const letter = PERMISSION_OF[interaction];
  return (['patient', 'user', 'system'] as const)
    .map((context) => `${context}/${resourceType}.${letter}`)
    .join(' ');
}
