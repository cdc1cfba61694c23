/**
 * jose is published as an ECMAScript module only; this runtime is also compiled as CommonJS, where a
 * static import would become `require`. Loading it once through `import()` works in both.
 */
import type * as JoseModule from 'jose' with { 'resolution-mode': 'import' };

export type {
  JWK,
  JWTPayload,
  JWTVerifyGetKey,
} from 'jose' with { 'resolution-mode': 'import' };

export type Jose = typeof JoseModule;

let loading: Promise<Jose> | undefined;

export function loadJose(): Promise<Jose> {
  loading ??= import('jose');
  return loading;
}

/** jose's errors carry stable codes (`ERR_JWT_EXPIRED`...); matching them avoids holding the classes. */
export function joseErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_J') ? code : undefined;
}
