import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SecurityConfigError } from './errors';
import { type JWK, loadJose } from './jose';

/**
 * The token service's signing key: generated on first start, kept in a file readable by the owner
 * only, and reused afterwards so that tokens survive restarts. The algorithm is pinned (EdDSA with
 * Ed25519, or ES256 with P-256): a key file of another algorithm is a start-up error, never a
 * silent switch.
 */
export type SigningAlgorithm = 'EdDSA' | 'ES256';

export interface SigningKey {
  alg: SigningAlgorithm;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public JWK as published in `/.well-known/jwks.json`. */
  publicJwk: JWK;
}

interface KeyFile {
  alg: SigningAlgorithm;
  privateJwk: JWK;
}

function generate(alg: SigningAlgorithm): KeyObject {
  const pair =
    alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return pair.privateKey;
}

async function toSigningKey(alg: SigningAlgorithm, privateKey: KeyObject): Promise<SigningKey> {
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await (await loadJose()).calculateJwkThumbprint(jwk);
  return { alg, kid, privateKey, publicKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

function expectedKeyType(alg: SigningAlgorithm): string {
  return alg === 'EdDSA' ? 'ed25519' : 'ec';
}

function readKeyFile(file: string, alg: SigningAlgorithm): KeyObject {
  let parsed: KeyFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as KeyFile;
  } catch (cause) {
    throw new SecurityConfigError('keyFile', `cannot read the signing key ${file}`, { cause });
  }
  if (parsed.alg !== alg) {
    throw new SecurityConfigError(
      'keyFile',
      `${file} holds a ${String(parsed.alg)} key but the configured algorithm is ${alg}; move the file away to generate a new key`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: parsed.privateJwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch (cause) {
    throw new SecurityConfigError('keyFile', `${file} does not hold a valid private key`, { cause });
  }
  if (key.asymmetricKeyType !== expectedKeyType(alg)) {
    throw new SecurityConfigError('keyFile', `${file} does not hold a ${alg} key`);
  }
  return key;
}

/**
 * Writes the new key next to the target and hard-links it into place, which fails if another
 * process created the file meanwhile; then that process's key wins and is read back. Instances on
 * several machines or containers share the folder (and may all be process 1): the temporary name is
 * random, so that no two writers ever share it.
 */
function writeKeyFile(file: string, alg: SigningAlgorithm, key: KeyObject): boolean {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`;
  const content: KeyFile = { alg, privateJwk: key.export({ format: 'jwk' }) as JWK };
  writeFileSync(temp, `${JSON.stringify(content)}\n`, { mode: 0o600 });
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new SecurityConfigError('keyFile', `cannot write the signing key ${file}`, { cause: error });
  } finally {
    rmSync(temp, { force: true });
  }
}

export async function loadOrCreateSigningKey(file: string, alg: SigningAlgorithm): Promise<SigningKey> {
  try {
    return await toSigningKey(alg, readKeyFile(file, alg));
  } catch (error) {
    const missing = (error as { cause?: NodeJS.ErrnoException }).cause?.code === 'ENOENT';
    if (!missing) throw error;
  }
  const key = generate(alg);
  if (writeKeyFile(file, alg, key)) return toSigningKey(alg, key);
  return toSigningKey(alg, readKeyFile(file, alg));
}

/** A key that lives in memory only (tests, or deliberately ephemeral servers). */
export function createEphemeralSigningKey(alg: SigningAlgorithm): Promise<SigningKey> {
  return toSigningKey(alg, generate(alg));
}
