/**
 * `fhirgen generate project --docker`: the Dockerfile, docker-compose.yml, nginx.conf and
 * .dockerignore are written (the user's files), the choice is kept by `--update`, the compose file
 * parses, and what it tells the server instances is what the server reads: the environment, loaded
 * through the server's own config readers, selects PostgreSQL, Redis, the shared state folder and
 * nginx as the only trusted proxy, and nginx balances over the instances the compose file defines.
 * No Docker engine runs here, so the images themselves are not built.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { planProject } from '../src/project/plan';
import { HEALTH_PATHS } from '../src/runtime/app/health';
import { readSecuritySettings } from '../src/runtime/app/security-config';
import { loadConfig } from '../src/runtime/config';
import { fhirgen, tempDir } from './support/project';

const DOCKER_FILES = ['Dockerfile', '.dockerignore', 'docker-compose.yml', 'nginx.conf'];

// biome-ignore lint/suspicious/noExplicitAny: the compose document is read field by field
type Compose = any;

describe('generate project --docker', function () {
  this.timeout(120_000);
  let dir: string;
  let compose: Compose;
  let nginx: string;

  before(async () => {
    dir = path.join(tempDir('fhirgen-docker-'), 'deployed');
    const result = await fhirgen([
      'generate',
      'project',
      dir,
      '--fhir',
      'r4',
      '--resources',
      'Patient',
      '--docker',
    ]);
    assert.equal(result.code, 0, result.stderr);
    compose = parse(readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8'), { merge: true });
    nginx = readFileSync(path.join(dir, 'nginx.conf'), 'utf8');
  });

  it('writes the Docker files as the user’s, and records the choice', () => {
    for (const file of DOCKER_FILES) assert.ok(existsSync(path.join(dir, file)), file);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'fhirgen.json'), 'utf8'));
    assert.equal(manifest.options.docker, true);
    for (const file of DOCKER_FILES) assert.ok(manifest.userOwned.includes(file), file);
    assert.match(readFileSync(path.join(dir, 'README.md'), 'utf8'), /### Docker Compose/);
  });

  it('writes none of them without --docker', () => {
    const plan = planProject({
      choices: { versions: ['r4'], name: 'plain', resources: ['Patient'] },
      fhirgenVersion: '0',
    });
    for (const file of DOCKER_FILES) assert.equal(plan.files.has(file), false, file);
  });

  it('keeps the choice on --update, recreating a removed file and keeping edited ones', async () => {
    rmSync(path.join(dir, 'nginx.conf'));
    const edited = `${readFileSync(path.join(dir, 'Dockerfile'), 'utf8')}# mine\n`;
    writeFileSync(path.join(dir, 'Dockerfile'), edited);
    const result = await fhirgen(['generate', 'project', dir, '--update']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(path.join(dir, 'nginx.conf'), 'utf8'), nginx);
    assert.equal(readFileSync(path.join(dir, 'Dockerfile'), 'utf8'), edited);
    assert.equal(JSON.parse(readFileSync(path.join(dir, 'fhirgen.json'), 'utf8')).options.docker, true);
  });

  it('defines PostgreSQL, Redis, two server instances and nginx', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), [
      'fhir-1',
      'fhir-2',
      'nginx',
      'postgres',
      'redis',
    ]);
    assert.deepEqual(compose.services['fhir-1'], compose.services['fhir-2']);
    assert.equal(compose.services['fhir-1'].build, '.');
    assert.deepEqual(compose.services['fhir-1'].volumes, ['state:/state']);
    assert.deepEqual(compose.services.redis.command, ['redis-server', '--appendonly', 'yes']);
    assert.deepEqual(compose.services.nginx.volumes, ['./nginx.conf:/etc/nginx/nginx.conf:ro']);
    assert.deepEqual(Object.keys(compose.services.nginx.depends_on).sort(), ['fhir-1', 'fhir-2']);
  });

  it('gives the instances an environment the server reads as PostgreSQL, Redis and nginx as proxy', () => {
    const env = interpolate(compose.services['fhir-1'].environment, { POSTGRES_PASSWORD: 'pw' });
    const config = loadConfig({ file: path.join(dir, 'fhirgen.config.json'), env, available: { r4: '/r4' } });
    assert.deepEqual(config.store, {
      kind: 'postgres',
      url: 'postgres://fhir:pw@postgres:5432/fhir',
      poolSize: 10,
    });
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 8080);
    assert.equal(config.publicUrl, 'http://localhost:8080');
    assert.equal(config.shutdownTimeoutMs, 10_000);
    const security = readSecuritySettings(config.sections.security, env, dir);
    assert.deepEqual(security.tokenStore, {
      kind: 'redis',
      url: 'redis://redis:6379/0',
      keyPrefix: 'fhirgen:',
    });
    assert.equal(security.stateDir, '/state/security');
    assert.equal(security.auditLog, 'stderr');
    assert.equal(security.transport.mode, 'http');
    const nginxAddress = compose.services.nginx.networks.backend.ipv4_address;
    assert.deepEqual(security.transport.trustProxy, [nginxAddress]);
    assert.equal(compose.networks.backend.ipam.config[0].subnet, '172.28.0.0/24');
    // The compose service names and ports the server URLs point at.
    assert.match(env.STORE_URL as string, /@postgres:5432\//);
    assert.match(env.TOKEN_STORE_URL as string, /^redis:\/\/redis:6379\//);
  });

  it('checks readiness on the path the server answers, within the grace period docker stop allows', () => {
    const instance = compose.services['fhir-1'];
    const probe = instance.healthcheck.test.join(' ');
    assert.ok(probe.includes(`http://127.0.0.1:${instance.environment.PORT}${HEALTH_PATHS.ready}`), probe);
    const graceSeconds = Number.parseInt(instance.stop_grace_period, 10);
    assert.ok(graceSeconds * 1000 > Number(instance.environment.SHUTDOWN_TIMEOUT_MS));
  });

  it('balances nginx over exactly the instances, at the port they listen on', () => {
    const upstream = [...nginx.matchAll(/^\s*server (\S+) /gm)].map((match) => match[1]);
    const port = compose.services['fhir-1'].environment.PORT;
    assert.deepEqual(upstream, [`fhir-1:${port}`, `fhir-2:${port}`]);
    assert.match(nginx, /proxy_set_header X-Forwarded-For \$remote_addr;/);
    const published = compose.services.nginx.ports[0].split(':')[1];
    assert.match(nginx, new RegExp(`listen ${published};`));
  });
});

/** Docker Compose's `${NAME}` and `${NAME:?message}` substitution, for the variables given. */
function interpolate(
  environment: Record<string, string>,
  variables: Record<string, string>,
): NodeJS.ProcessEnv {
  const substitute = (text: string) =>
    text.replace(/\$\{([A-Z_]+)(?::\?[^}]*)?\}/g, (_all, name: string) => {
      const value = variables[name];
      if (value === undefined) throw new Error(`compose file needs ${name}`);
      return value;
    });
  return Object.fromEntries(
    Object.entries(environment).map(([key, value]) => [key, substitute(String(value))]),
  );
}
