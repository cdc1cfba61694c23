import type { SecurityConfig } from './config';
import { AUTH_PATHS } from './endpoints';

/**
 * The `rest.security` element of the CapabilityStatement (Conformance on DSTU2): the SMART-on-FHIR
 * service code and the `oauth-uris` extension naming the token, revocation and introspection
 * endpoints (SMART App Launch 1.0 "Conformance"; 2.0 keeps it alongside smart-configuration).
 */
const SERVICE_SYSTEM: Readonly<Record<string, string>> = {
  r4: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
  stu3: 'http://hl7.org/fhir/restful-security-service',
  dstu2: 'http://hl7.org/fhir/restful-security-service',
};

const OAUTH_URIS = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';

export function capabilitySecurity(config: Pick<SecurityConfig, 'issuer' | 'mode'>, version: string) {
  const base = config.issuer.replace(/\/$/, '');
  const uris =
    config.mode === 'builtin'
      ? [
          { url: 'token', valueUri: `${base}${AUTH_PATHS.token}` },
          { url: 'revoke', valueUri: `${base}${AUTH_PATHS.revoke}` },
          { url: 'introspect', valueUri: `${base}${AUTH_PATHS.introspect}` },
        ]
      : [];
  return {
    cors: false,
    service: [
      {
        coding: [{ system: SERVICE_SYSTEM[version] ?? SERVICE_SYSTEM.r4, code: 'SMART-on-FHIR' }],
        text: 'OAuth2 bearer tokens with SMART on FHIR scopes (v1 and v2)',
      },
    ],
    ...(uris.length > 0 ? { extension: [{ url: OAUTH_URIS, extension: uris }] } : {}),
  };
}
