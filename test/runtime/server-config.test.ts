import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ConfigError, loadConfig } from '../../src/runtime/config';
import { startServer } from '../../src/runtime/server';
import { storeServices } from '../../src/runtime/store/store-service';
import { dstu2Binding, r4Binding } from './fixtures/binding';
import { type AnyJson, patient, post } from './fixtures/server';

const AVAILABLE = { r4: '/r4', dstu2: '/dstu2' };

function problemsOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  assert.fail('expected a ConfigError');
}

describe('runtime config: file plus environment, validated at start', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-config-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('has defaults for everything', () => {
    const config = loadConfig({ env: {}, available: AVAILABLE });
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.deepEqual(config.versions, ['r4', 'dstu2']);
    assert.deepEqual(config.basePaths, AVAILABLE);
    assert.deepEqual(config.store, { kind: 'sqlite', path: 'data/fhir.sqlite' });
    assert.equal(config.bodyLimit, 1024 * 1024);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.invariants, true);
  });

  it('turns invariant checks off by file or by INVARIANTS, and refuses anything but a boolean', () => {
    const file = path.join(dir, 'fhirgen.config.json');
    writeFileSync(file, JSON.stringify({ invariants: false }));
    assert.equal(loadConfig({ file, env: {}, available: AVAILABLE }).invariants, false);
    assert.equal(loadConfig({ env: { INVARIANTS: 'false' }, available: AVAILABLE }).invariants, false);
    assert.deepEqual(
      problemsOf(() => loadConfig({ env: { INVARIANTS: 'sometimes' }, available: AVAILABLE })).filter((p) =>
        p.includes('INVARIANTS'),
      ).length,
      1,
    );
  });

  it('reads the file, and the environment overrides it', () => {
    const file = path.join(dir, 'fhirgen.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        port: 9000,
        basePaths: { r4: '/4_0_1' },
        store: { kind: 'memory' },
        bodyLimit: '512kb',
        security: { on: true },
      }),
    );
    const config = loadConfig({
      file,
      env: { PORT: '9100', FHIR_VERSIONS: 'r4', LOG_LEVEL: 'warn' },
      available: AVAILABLE,
    });
    assert.equal(config.port, 9100);
    assert.deepEqual(config.versions, ['r4']);
    assert.deepEqual(config.basePaths, { r4: '/4_0_1' });
    assert.deepEqual(config.store, { kind: 'memory' });
    assert.equal(config.bodyLimit, 512 * 1024);
    assert.equal(config.logLevel, 'warn');
    assert.deepEqual(config.sections, { security: { on: true } });
    const env = loadConfig({
      file,
      env: { STORE: 'sqlite', STORE_PATH: '/tmp/x.db', BASE_PATH_R4: '/fhir/r4' },
      available: AVAILABLE,
    });
    assert.deepEqual(env.store, { kind: 'sqlite', path: '/tmp/x.db' });
    assert.equal(env.basePaths.r4, '/fhir/r4');
  });

  it('lists every problem at once, naming the setting and its variable', () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          PORT: 'eighty',
          FHIR_VERSIONS: 'r4,r5',
          BASE_PATH_R4: 'r4/',
          STORE: 'mongo',
          BODY_LIMIT: 'lots',
          LOG_LEVEL: 'loud',
        },
        available: AVAILABLE,
      }),
    );
    const text = problems.join('\n');
    for (const expected of [/PORT/, /r5 not generated/, /BASE_PATH_R4/, /STORE/, /BODY_LIMIT/, /LOG_LEVEL/]) {
      assert.match(text, expected);
    }
    assert.equal(problems.length, 6);
  });

  it('refuses unreadable or malformed files, unknown keys and overlapping base paths', () => {
    assert.match(
      problemsOf(() => loadConfig({ file: path.join(dir, 'none.json'), env: {}, available: AVAILABLE }))[0] ??
        '',
      /ENOENT/,
    );
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{ port: 1 }');
    assert.match(
      problemsOf(() => loadConfig({ file: bad, env: {}, available: AVAILABLE }))[0] ?? '',
      /not valid JSON/,
    );
    writeFileSync(bad, JSON.stringify({ prot: 1, basePaths: { r4: '/fhir', dstu2: '/fhir/dstu2' } }));
    const problems = problemsOf(() => loadConfig({ file: bad, env: {}, available: AVAILABLE }));
    assert.match(problems.join('\n'), /unknown setting "prot"/);
    assert.match(problems.join('\n'), /overlap/);
  });
});

describe('runtime server: startServer', () => {
  it('mounts the configured versions, logs one line per request, and keeps data in the sqlite file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-server-'));
    const lines: AnyJson[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const config = loadConfig({
      env: { PORT: '0', STORE_PATH: path.join(dir, 'nested', 'fhir.sqlite'), BASE_PATH_DSTU2: '/1_0_2' },
      available: AVAILABLE,
    });
    const versions = {
      r4: {
        binding: r4Binding,
        services: (store: Parameters<typeof storeServices>[0]) => storeServices(store, ['Patient']),
      },
      dstu2: {
        binding: dstu2Binding,
        services: (store: Parameters<typeof storeServices>[0]) => storeServices(store, ['Patient']),
      },
    };
    const running = await startServer({ config, versions, logger: pino({ level: 'info' }, sink) });
    try {
      const created = await post(`${running.url}/r4/Patient`, patient(), { 'x-request-id': 'req-1' });
      assert.equal(created.status, 201);
      const { id } = (await created.json()) as AnyJson;
      assert.equal((await fetch(`${running.url}/1_0_2/Patient/${id}`)).status, 200);
      assert.equal((await fetch(`${running.url}/dstu2/Patient/${id}`)).status, 404);
      const requestLines = lines.filter((line) => line.msg === 'request');
      assert.equal(requestLines.length, 3);
      assert.equal(requestLines[0].reqId, 'req-1');
      assert.equal(requestLines[0].status, 201);
      assert.equal(typeof requestLines[0].ms, 'number');
    } finally {
      await running.close();
    }
    const again = await startServer({ config, versions, logger: pino({ level: 'silent' }) });
    try {
      const search = (await (await fetch(`${again.url}/r4/Patient`)).json()) as AnyJson;
      assert.equal(search.total, 1);
    } finally {
      await again.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
