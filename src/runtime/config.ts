/**
 * Configuration of a generated server: a JSON file (optional) overlaid by environment variables,
 * checked at start so that a mistake stops the server with a message naming the setting, instead of
 * a failure later. Sections owned by other modules (`security`, `search`) are passed through as read.
 *
 * Environment: PORT, HOST, PUBLIC_URL, FHIR_VERSIONS (`r4,stu3`), BASE_PATH_R4 / BASE_PATH_STU3 /
 * BASE_PATH_DSTU2, STORE (`sqlite`, `memory` or `postgres`), STORE_PATH, STORE_URL and STORE_POOL_SIZE (postgres), BODY_LIMIT (`1mb`, `512kb`, bytes),
 * LOG_LEVEL, UPDATE_CREATE (`true`/`false`), VALIDATE_RESULTS (`true`/`false`), DROPPED_PROPERTIES
 * (`reject`/`drop`), SHUTDOWN_TIMEOUT_MS.
 */
import { readFileSync } from 'node:fs';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ServerConfig {
  port: number;
  host: string;
  /** The absolute URL clients reach the server at, when it differs from what requests say (proxies). */
  publicUrl?: string;
  /** Enabled FHIR versions, by binding id. */
  versions: string[];
  /** Base path per version id, such as `/r4` or `/4_0_1`. */
  basePaths: Record<string, string>;
  store:
    | { kind: 'sqlite'; path: string }
    | { kind: 'memory' }
    | { kind: 'postgres'; url: string; poolSize: number };
  /** Bytes. */
  bodyLimit: number;
  maxDepth: number;
  logLevel: LogLevel;
  updateCreate: boolean;
  validateResults: boolean;
  /**
   * Check the constraints (invariants) of incoming resources (https://hl7.org/fhir/R4/conformance-rules.html#constraints):
   * an error gives 422. Off only for a server that must accept legacy data; a warning says so at start.
   */
  invariants: boolean;
  /** Result properties the version does not define: 500 (`reject`) or left out with a warning (`drop`). */
  droppedProperties: 'reject' | 'drop';
  /** On SIGTERM/SIGINT, how long requests in flight may take to finish before connections are cut. */
  shutdownTimeoutMs: number;
  /** Sections of other modules, as written in the file. */
  sections: Record<string, unknown>;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid server configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface ConfigSource {
  /** Path of the JSON config file; a missing file is an error only when given explicitly. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** The versions the project was generated for, and their default base paths. */
  available: Record<string, string>;
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const KNOWN_KEYS = new Set([
  'port',
  'host',
  'publicUrl',
  'versions',
  'basePaths',
  'store',
  'bodyLimit',
  'maxDepth',
  'logLevel',
  'updateCreate',
  'validateResults',
  'invariants',
  'droppedProperties',
  'shutdownTimeoutMs',
]);
const SECTIONS = new Set(['security', 'search']);

export function loadConfig(source: ConfigSource): ServerConfig {
  const problems: string[] = [];
  const file = source.file === undefined ? {} : readConfigFile(source.file, problems);
  const env = source.env ?? process.env;
  const sections: Record<string, unknown> = {};
  for (const key of Object.keys(file)) {
    if (SECTIONS.has(key)) sections[key] = file[key];
    else if (!KNOWN_KEYS.has(key)) problems.push(`unknown setting "${key}" in ${source.file}`);
  }
  const available = Object.keys(source.available);
  const versions = readVersions(env.FHIR_VERSIONS ?? file.versions, available, problems);
  const config: ServerConfig = {
    port: readInteger('port (PORT)', env.PORT ?? file.port ?? 8080, 0, 65535, problems),
    host: readString('host (HOST)', env.HOST ?? file.host ?? '127.0.0.1', problems),
    versions,
    basePaths: readBasePaths(versions, source.available, file.basePaths, env, problems),
    store: readStore(env, file.store, problems),
    bodyLimit: readSize('bodyLimit (BODY_LIMIT)', env.BODY_LIMIT ?? file.bodyLimit ?? '1mb', problems),
    maxDepth: readInteger('maxDepth', file.maxDepth ?? 64, 2, 1000, problems),
    logLevel: readChoice(
      'logLevel (LOG_LEVEL)',
      env.LOG_LEVEL ?? file.logLevel ?? 'info',
      LOG_LEVELS,
      problems,
    ),
    updateCreate: readBoolean(
      'updateCreate (UPDATE_CREATE)',
      env.UPDATE_CREATE ?? file.updateCreate ?? true,
      problems,
    ),
    validateResults: readBoolean(
      'validateResults (VALIDATE_RESULTS)',
      env.VALIDATE_RESULTS ?? file.validateResults ?? true,
      problems,
    ),
    invariants: readBoolean('invariants (INVARIANTS)', env.INVARIANTS ?? file.invariants ?? true, problems),
    droppedProperties: readChoice(
      'droppedProperties (DROPPED_PROPERTIES)',
      env.DROPPED_PROPERTIES ?? file.droppedProperties ?? 'drop',
      ['reject', 'drop'] as const,
      problems,
    ),
    shutdownTimeoutMs: readInteger(
      'shutdownTimeoutMs (SHUTDOWN_TIMEOUT_MS)',
      env.SHUTDOWN_TIMEOUT_MS ?? file.shutdownTimeoutMs ?? 10_000,
      0,
      600_000,
      problems,
    ),
    sections,
  };
  const publicUrl = env.PUBLIC_URL ?? file.publicUrl;
  if (publicUrl !== undefined) {
    if (typeof publicUrl !== 'string' || !/^https?:\/\/[^/\s]+(\/[^\s]*)?$/.test(publicUrl)) {
      problems.push(`publicUrl (PUBLIC_URL) must be an http(s) URL, got ${JSON.stringify(publicUrl)}`);
    } else config.publicUrl = publicUrl.replace(/\/+$/, '');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function readConfigFile(file: string, problems: string[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    problems.push(
      `cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
    problems.push(`config file ${file} must hold a JSON object`);
  } catch (error) {
    problems.push(`config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return {};
}

function readVersions(value: unknown, available: string[], problems: string[]): string[] {
  if (value === undefined) return available;
  const list = typeof value === 'string' ? value.split(',').map((item) => item.trim()) : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string')) {
    problems.push(`versions (FHIR_VERSIONS) must list some of ${available.join(', ')}`);
    return available;
  }
  const unknown = list.filter((item) => !available.includes(item));
  if (unknown.length > 0) {
    problems.push(
      `versions (FHIR_VERSIONS): ${unknown.join(', ')} not generated in this project; available: ${available.join(', ')}`,
    );
  }
  return [...new Set(list.filter((item) => available.includes(item)))];
}

function readBasePaths(
  versions: string[],
  defaults: Record<string, string>,
  fromFile: unknown,
  env: NodeJS.ProcessEnv,
  problems: string[],
): Record<string, string> {
  const file = typeof fromFile === 'object' && fromFile !== null ? (fromFile as Record<string, unknown>) : {};
  if (fromFile !== undefined && file !== fromFile)
    problems.push('basePaths must be an object of version id to path');
  const paths: Record<string, string> = {};
  for (const version of versions) {
    const value = env[`BASE_PATH_${version.toUpperCase()}`] ?? file[version] ?? defaults[version];
    if (typeof value !== 'string' || !/^(\/[A-Za-z0-9_\-.]+)+$/.test(value)) {
      problems.push(
        `base path of ${version} (BASE_PATH_${version.toUpperCase()}) must look like /r4 or /fhir/4_0_1, got ${JSON.stringify(value)}`,
      );
      continue;
    }
    paths[version] = value;
  }
  const used = Object.values(paths);
  const clash = used.find((path, index) =>
    used.some((other, j) => j !== index && (other === path || other.startsWith(`${path}/`))),
  );
  if (clash !== undefined) problems.push(`base paths overlap: ${clash}`);
  return paths;
}

function readStore(env: NodeJS.ProcessEnv, section: unknown, problems: string[]): ServerConfig['store'] {
  const given = (typeof section === 'object' && section !== null ? section : {}) as Record<string, unknown>;
  const kind = env.STORE ?? given.kind;
  const path = env.STORE_PATH ?? given.path;
  const chosen = kind ?? 'sqlite';
  if (chosen === 'memory') return { kind: 'memory' };
  if (chosen === 'postgres')
    return readPostgres(env.STORE_URL ?? given.url, env.STORE_POOL_SIZE ?? given.poolSize, problems);
  if (chosen !== 'sqlite') {
    problems.push(`store (STORE) must be "sqlite", "memory" or "postgres", got ${JSON.stringify(chosen)}`);
    return { kind: 'memory' };
  }
  const location = path ?? 'data/fhir.sqlite';
  if (typeof location !== 'string' || location.trim() === '') {
    problems.push('store path (STORE_PATH) must be a file path');
    return { kind: 'memory' };
  }
  return { kind: 'sqlite', path: location };
}

/** `postgres://user:password@host:5432/database` (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS). */
function readPostgres(url: unknown, poolSize: unknown, problems: string[]): ServerConfig['store'] {
  const size = readInteger('store pool size (STORE_POOL_SIZE)', poolSize ?? 10, 1, 1000, problems);
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || !['postgres:', 'postgresql:'].includes(parsed.protocol)) {
    problems.push(
      'store url (STORE_URL) must be a PostgreSQL URL such as postgres://user:password@host:5432/database',
    );
    return { kind: 'memory' };
  }
  return { kind: 'postgres', url: url as string, poolSize: size };
}

function readInteger(name: string, value: unknown, min: number, max: number, problems: string[]): number {
  const number = typeof value === 'string' && /^[0-9]+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return min;
  }
  return number;
}

function readString(name: string, value: unknown, problems: string[]): string {
  if (typeof value !== 'string' || value.trim() === '') {
    problems.push(`${name} must be a non-empty string`);
    return '';
  }
  return value;
}

function readChoice<T extends string>(
  name: string,
  value: unknown,
  choices: readonly T[],
  problems: string[],
): T {
  if (typeof value !== 'string' || !choices.includes(value as T)) {
    problems.push(`${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
    return choices[0] as T;
  }
  return value as T;
}

function readBoolean(name: string, value: unknown, problems: string[]): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  problems.push(`${name} must be true or false, got ${JSON.stringify(value)}`);
  return false;
}

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 * 1024 };

function readSize(name: string, value: unknown, problems: string[]): number {
  const match =
    typeof value === 'number'
      ? ['', String(value), '']
      : /^\s*([0-9]+)\s*(b|kb|mb)?\s*$/i.exec(String(value));
  const bytes =
    match === null ? Number.NaN : Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] ?? Number.NaN);
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 64 * 1024 * 1024) {
    problems.push(
      `${name} must be a size such as 1mb, 512kb or 100000 (at most 64mb), got ${JSON.stringify(value)}`,
    );
    return 1024 * 1024;
  }
  return bytes;
}
