import type { Principal } from '../contracts';
import type { JWTPayload } from './jose';

/**
 * The claims of an access token (RFC 9068 §2.2), plus SMART's `patient` and the address the token
 * was issued to (`client_addr`, a private claim of this server).
 */
export interface AccessClaims {
  iss: string;
  aud: string | string[];
  sub: string;
  client_id: string;
  scope: string;
  jti: string;
  iat: number;
  exp: number;
  patient?: string;
  client_addr?: string;
}

function isString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Checks the shape of a verified payload; the signature and time checks are jose's. */
export function toAccessClaims(payload: JWTPayload): AccessClaims | undefined {
  const { iss, aud, sub, jti, iat, exp } = payload;
  const clientId = payload.client_id;
  const scope = payload.scope ?? '';
  const audOk = isString(aud) || (Array.isArray(aud) && aud.every(isString));
  if (!isString(iss) || !audOk || !isString(sub) || !isString(jti) || !isString(clientId)) return undefined;
  if (typeof scope !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') return undefined;
  if (payload.patient !== undefined && !isString(payload.patient)) return undefined;
  if (payload.client_addr !== undefined && !isString(payload.client_addr)) return undefined;
  const claims: AccessClaims = {
    iss,
    aud: aud as string | string[],
    sub,
    client_id: clientId,
    scope,
    jti,
    iat,
    exp,
  };
  if (payload.patient !== undefined) claims.patient = payload.patient as string;
  if (payload.client_addr !== undefined) claims.client_addr = payload.client_addr as string;
  return claims;
}

export function scopesOf(claims: AccessClaims): string[] {
  return claims.scope.split(' ').filter((scope) => scope.length > 0);
}

export function toPrincipal(claims: AccessClaims): Principal {
  const principal: Principal = {
    subject: claims.sub,
    clientId: claims.client_id,
    scopes: scopesOf(claims),
    tokenId: claims.jti,
    expiresAt: claims.exp,
  };
  if (claims.patient !== undefined) principal.patient = claims.patient;
  return principal;
}
