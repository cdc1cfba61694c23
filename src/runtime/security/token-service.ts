import { randomUUID } from 'node:crypto';
import type { AuditLog } from './audit';
import { type AssertionResult, ClientAssertionVerifier, isAssertionClient } from './client-assertion';
import type { ClientConfig, SecurityConfig, UserConfig } from './config';
import { tokenEndpointOf } from './endpoints';
import { fingerprintOf, matchesFingerprint } from './fingerprint';
import { loadJose } from './jose';
import type { SigningKey } from './keys';
import { grantRequested } from './scope-grant';
import { verifySecret } from './secrets';
import type { TokenStore } from './token-store';
import { type TokenVerifier, unverifiedJti } from './verifier';

/**
 * The built-in token service, independent of Express: grants (RFC 6749 §4.3, §4.4), issuance of
 * RFC 9068 access tokens, supersession, revocation (RFC 7009) and introspection (RFC 7662).
 */

/** An OAuth error the token endpoint answers with (RFC 6749 §5.2). */
export class OAuthError extends Error {
  constructor(
    readonly error:
      | 'invalid_request'
      | 'invalid_client'
      | 'invalid_grant'
      | 'unsupported_grant_type'
      | 'invalid_scope',
    readonly description: string,
    /**
     * RFC 6749 §5.2: 401 for a client that authenticated through the Authorization header (the
     * default for invalid_client), 400 otherwise (a signed assertion in the body, RFC 7521 §4.2.1).
     */
    readonly status: number = error === 'invalid_client' ? 401 : 400,
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  patient?: string;
}

export type IntrospectionResponse = { active: false } | ActiveIntrospection;

interface ActiveIntrospection {
  active: true;
  scope: string;
  client_id: string;
  sub: string;
  exp: number;
  iat: number;
  iss: string;
  aud: string | string[];
  jti: string;
  patient?: string;
}

export interface TokenServiceOptions {
  config: SecurityConfig;
  key: SigningKey;
  store: TokenStore;
  audit: AuditLog;
  verifier: TokenVerifier;
  now?: () => number;
}

interface Grant {
  subject: string;
  client: ClientConfig;
  scopes: string[];
  patient?: string;
  address: string;
}

// Compared against when a client or user is unknown, so that timing does not reveal which exist.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export class TokenService {
  private readonly clients: Map<string, ClientConfig>;
  private readonly users: Map<string, UserConfig>;
  private readonly now: () => number;

  private readonly assertions: ClientAssertionVerifier;

  constructor(private readonly options: TokenServiceOptions) {
    this.clients = new Map(options.config.clients.map((client) => [client.clientId, client]));
    this.users = new Map(options.config.users.map((user) => [user.username, user]));
    this.now = options.now ?? Date.now;
    this.assertions = new ClientAssertionVerifier({
      clients: this.clients,
      tokenEndpoint: tokenEndpointOf(options.config),
      clockSkewSeconds: options.config.clockSkewSeconds,
      store: options.store,
      now: this.now,
    });
  }

  /** Client authentication with a signed JWT (RFC 7523 §2.2, SMART Backend Services). */
  authenticateAssertion(assertion: string): Promise<AssertionResult> {
    return this.assertions.verify(assertion);
  }

  /** Client authentication (RFC 6749 §2.3.1); undefined when the id or secret is wrong. */
  async authenticateClient(clientId: string, secret: string | undefined): Promise<ClientConfig | undefined> {
    const client = this.clients.get(clientId);
    // A client registered with keys proves itself with an assertion only, never by its id alone.
    if (client && isAssertionClient(client)) {
      await verifySecret(secret ?? '', DUMMY_HASH);
      return undefined;
    }
    if (!client?.secretHash) {
      await verifySecret(secret ?? '', DUMMY_HASH);
      // A public client identifies itself without a secret (RFC 6749 §2.1); it may only use the password grant.
      return client && secret === undefined ? client : undefined;
    }
    if (secret === undefined) return undefined;
    return (await verifySecret(secret, client.secretHash)) ? client : undefined;
  }

  async clientCredentials(
    client: ClientConfig,
    scope: string | undefined,
    address: string,
  ): Promise<TokenResponse> {
    if (!isConfidential(client) || !allowsGrant(client, 'client_credentials')) {
      throw new OAuthError('unsupported_grant_type', 'this client may not use client_credentials');
    }
    const scopes = grantScopes(scope, client.scopes, client.patient);
    return this.issue({ subject: client.clientId, client, scopes, patient: client.patient, address });
  }

  async password(
    client: ClientConfig,
    username: string,
    password: string,
    scope: string | undefined,
    address: string,
  ): Promise<TokenResponse> {
    if (!allowsGrant(client, 'password')) {
      throw new OAuthError('unsupported_grant_type', 'this client may not use the password grant');
    }
    const user = this.users.get(username);
    const valid = await verifySecret(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !valid) throw new OAuthError('invalid_grant', 'wrong username or password');
    const scopes = grantScopes(scope, user.scopes, user.patient);
    return this.issue({ subject: user.username, client, scopes, patient: user.patient, address });
  }

  private async issue(grant: Grant): Promise<TokenResponse> {
    const { config, key, store, audit } = this.options;
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + config.tokenLifetimeSeconds;
    const jti = randomUUID();
    const scope = grant.scopes.join(' ');
    const patient = grant.scopes.some((s) => s.startsWith('patient/')) ? grant.patient : undefined;
    const claims: Record<string, string> = { client_id: grant.client.clientId, scope };
    if (patient !== undefined) claims.patient = patient;
    if (config.addressBinding.enabled) claims.client_addr = grant.address;
    const { SignJWT } = await loadJose();
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid })
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setSubject(grant.subject)
      .setJti(jti)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(key.privateKey);
    const superseded = await store.recordIssued({
      jti,
      subject: grant.subject,
      clientId: grant.client.clientId,
      fingerprint: fingerprintOf(token),
      issuedAt: iat,
      expiresAt: exp,
    });
    const who = { subject: grant.subject, clientId: grant.client.clientId };
    audit.record({ type: 'token_issued', jti, ...who, scope, address: grant.address });
    for (const old of superseded) audit.record({ type: 'token_superseded', jti: old, ...who, reason: jti });
    const response: TokenResponse = {
      access_token: token,
      token_type: 'Bearer',
      expires_in: exp - iat,
      scope,
    };
    if (patient !== undefined) response.patient = patient;
    return response;
  }

  /**
   * RFC 7009 §2.1: revokes a token this server issued to the calling client. Unknown, foreign or
   * invalid tokens are not an error (§2.2); a token of another client is refused.
   */
  async revoke(token: string, client: ClientConfig): Promise<void> {
    const { store, audit, key, config } = this.options;
    const jti = unverifiedJti(await loadJose(), token);
    if (jti === undefined) return;
    const { issued } = await store.state(jti);
    if (!issued || !matchesFingerprint(token, issued.fingerprint)) return;
    // The bytes are the ones we issued; still let jose confirm the signature before acting on them.
    try {
      await (await loadJose()).compactVerify(token, key.publicKey, { algorithms: [key.alg] });
    } catch {
      return;
    }
    if (issued.clientId !== client.clientId) {
      throw new OAuthError('invalid_request', 'the token was not issued to this client');
    }
    const expiresAt = issued.expiresAt + config.clockSkewSeconds;
    if (await store.revoke(jti, 'revoked by client', expiresAt, this.now())) {
      audit.record({
        type: 'token_revoked',
        jti,
        subject: issued.subject,
        clientId: client.clientId,
        reason: 'client request',
      });
    }
  }

  /** RFC 7662 §2.2: `{active: false}` and nothing else unless the token is good right now. */
  async introspect(token: string): Promise<IntrospectionResponse> {
    const result = await this.options.verifier.verify(token);
    if (!result.ok) return { active: false };
    const { scope, client_id, sub, exp, iat, iss, aud, jti, patient } = result.claims;
    const active: ActiveIntrospection = { active: true, scope, client_id, sub, exp, iat, iss, aud, jti };
    if (patient !== undefined) active.patient = patient;
    return active;
  }
}

/** A client that proves who it is: with a secret, or with a key (RFC 6749 §2.1). */
function isConfidential(client: ClientConfig): boolean {
  return client.secretHash !== undefined || isAssertionClient(client);
}

function allowsGrant(client: ClientConfig, grant: 'client_credentials' | 'password'): boolean {
  const grants = client.grantTypes ?? (isConfidential(client) ? ['client_credentials'] : ['password']);
  return grants.includes(grant);
}

/**
 * RFC 6749 §3.3: the requested scopes a registered one covers (`grantRequested`); no request means
 * all registered ones. `patient/` scopes need a patient in context, so they are dropped without one.
 * Only a request of which nothing can be granted is refused.
 */
function grantScopes(
  requested: string | undefined,
  allowed: string[],
  patient: string | undefined,
): string[] {
  const usable = allowed.filter((scope) => patient !== undefined || !scope.startsWith('patient/'));
  const { granted, refused } = grantRequested(requested, usable);
  if (granted.length === 0) {
    const detail = refused.length > 0 ? `not allowed: ${refused.join(' ')}` : 'no scope can be granted';
    throw new OAuthError('invalid_scope', detail);
  }
  return granted;
}
