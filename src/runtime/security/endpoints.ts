import type { SecurityConfig } from './config';

/** Paths of the built-in token service's endpoints and public documents, below the issuer. */
export const AUTH_PATHS = {
  token: '/auth/token',
  revoke: '/auth/revoke',
  introspect: '/auth/introspect',
  jwks: '/.well-known/jwks.json',
  smart: '/.well-known/smart-configuration',
} as const;

/** The token endpoint's absolute URL, as the SMART configuration names it: the `aud` of client assertions. */
export function tokenEndpointOf(config: Pick<SecurityConfig, 'issuer'>): string {
  return `${config.issuer.replace(/\/$/, '')}${AUTH_PATHS.token}`;
}
