/**
 * Bulk load (`npm run load`, src/runtime/load/): 10,000 generated resources into a SQLite store,
 * searchable afterwards through the server; invalid lines reported as `file:line: message` without
 * stopping; an interrupted load (stopped by its signal, or its process killed) resumed to the exact
 * count without duplicates; Bundle files; usage errors.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { projectConfig, startProject } from '../../src/runtime/app/run';
import type { ResourceJson } from '../../src/runtime/binding';
import { openStore } from '../../src/runtime/load/cli';
import { readLines } from '../../src/runtime/load/lines';
import { describeInvalid, loadFiles } from '../../src/runtime/load/loader';
import { createReporter } from '../../src/runtime/load/progress';
import { LoadState } from '../../src/runtime/load/state';
import { FhirHttpError } from '../../src/runtime/outcome';
import type { UpdateOptions } from '../../src/runtime/service';
import { bulkObservation, bulkPatient, FAMILIES, writeNdjson } from '../support/bulk-data';
import { eventually } from '../support/eventually';
import { tempFolders } from '../support/temp';
import { load, makeProject, r4Module } from './fixtures/load/project';

const PATIENTS = 8000;
const OBSERVATIONS = 2000;
const INVALID = [
  '{"resourceType":"Patient","id":"bad-json"',
  '{"resourceType":"Patient","id":"bad-gender","gender":"sometimes"}',
  '{"resourceType":"NotAType","id":"x"}',
];

/** Two files: patients with three invalid lines among them, and observations of patients 0-99. */
function writeInputs(dir: string): { patients: string; observations: string } {
  const patients = function* () {
    for (let i = 0; i < PATIENTS; i += 1) {
      if (i === 10) yield INVALID[0] as string;
      if (i === 5000) yield INVALID[1] as string;
      if (i === 7999) yield INVALID[2] as string;
      yield bulkPatient(i);
    }
  };
  const observations = function* () {
    for (let i = 0; i < OBSERVATIONS; i += 1) yield bulkObservation(i, i % 100);
  };
  return {
    patients: writeNdjson(path.join(dir, 'patients.ndjson'), patients()),
    observations: writeNdjson(path.join(dir, 'observations.ndjson'), observations()),
  };
}

function counts(dir: string): { resources: number; versions: number } {
  const db = new Database(path.join(dir, 'data', 'fhir.sqlite'), { readonly: true });
  try {
    const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      resources: one('SELECT COUNT(*) AS n FROM resources'),
      versions: one('SELECT COUNT(*) AS n FROM resource_history'),
    };
  } finally {
    db.close();
  }
}

describe('bulk load', function () {
  this.timeout(300_000);
  const folders = tempFolders('load');
  const root = { path: '' };
  let inputs: { patients: string; observations: string };

  before(() => {
    root.path = folders.make();
    inputs = writeInputs(root.path);
  });
  after(() => folders.cleanup());

  it('loads 10,000 resources, searchable through the server, reporting invalid lines by file:line', async () => {
    const dir = makeProject(path.join(root.path, 'full'));
    const errors = path.join(dir, 'errors.ndjson');
    const output = await load(dir, [inputs.patients, inputs.observations, '--errors', errors]);
    assert.equal(output.code, 1, output.stderr);
    assert.match(output.stdout, /^loaded 10000 resources in [\d.]+ s \(\d+ resources\/s\), 3 invalid\n$/);
    assert.match(output.stderr, new RegExp(`${inputs.patients}:11: Not JSON`));
    assert.match(output.stderr, new RegExp(`${inputs.patients}:5002: .*gender`));
    assert.match(output.stderr, new RegExp(`${inputs.patients}:8002: NotAType is not a resource type`));
    const outcomes = readFileSync(errors, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      outcomes.map((outcome) => outcome.resourceType),
      ['OperationOutcome', 'OperationOutcome', 'OperationOutcome'],
    );
    assert.match(outcomes[0].issue[0].diagnostics, /patients\.ndjson:11: Not JSON/);
    assert.deepEqual(counts(dir), { resources: 10_000, versions: 10_000 });

    const server = await startProject({
      projectDir: dir,
      versions: [r4Module],
      env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', SECURITY: 'off' },
    });
    try {
      const total = async (query: string) => {
        const response = await fetch(`${server.url}/r4/${query}&_summary=count`);
        assert.equal(response.status, 200, query);
        return ((await response.json()) as { total: number }).total;
      };
      assert.equal(await total(`Patient?name=${FAMILIES[1]}`), PATIENTS / FAMILIES.length);
      assert.equal(await total('Patient?identifier=MRN-4321-0'), 1);
      assert.equal(await total('Patient?birthdate=1960'), PATIENTS / 50);
      assert.equal(await total('Observation?subject=Patient/p-7'), OBSERVATIONS / 100);
      assert.equal(await total('Observation?code=http://loinc.org|8867-4'), OBSERVATIONS);
    } finally {
      await server.close();
    }
  });

  it('resumes a load stopped after three batches, to the exact count, writing nothing twice', async () => {
    const dir = makeProject(path.join(root.path, 'stopped'));
    const config = projectConfig({ projectDir: dir, versions: [r4Module], env: {} });
    const store = await openStore(config, [r4Module]);
    const controller = new AbortController();
    const reported: string[] = [];
    let batches = 0;
    const first = await loadFiles({
      store,
      binding: r4Module.binding,
      files: [inputs.patients],
      state: new LoadState(path.join(dir, 'data', 'fhir.sqlite.load-state.json')),
      batchSize: 500,
      maxBatchMs: 600_000,
      onInvalid: (record) => reported.push(describeInvalid(record)),
      onProgress: () => {
        batches += 1;
        if (batches === 3) controller.abort();
      },
      signal: controller.signal,
    });
    await store.close();
    assert.equal(first.interrupted, true);
    assert.equal(batches, 3);
    assert.deepEqual([first.loaded, first.invalid], [1500, 1]);
    assert.deepEqual(counts(dir), { resources: 1500, versions: 1500 });

    const resumed = await load(dir, [inputs.patients, '--batch', '500']);
    assert.equal(resumed.code, 1, resumed.stderr);
    assert.match(
      resumed.stdout,
      /^loaded 6500 resources .*, 2 invalid, 1500 loaded and 1 invalid by earlier runs\n$/,
    );
    assert.deepEqual(counts(dir), { resources: PATIENTS, versions: PATIENTS });
    // Each invalid line is reported once over both runs.
    assert.equal(reported.length + (resumed.stderr.match(/patients\.ndjson:\d+: /g)?.length ?? 0), 3);

    const again = await load(dir, [inputs.patients]);
    assert.match(again.stdout, /^loaded 0 resources .*1 file\(s\) already loaded, skipped/);
    const restarted = await load(dir, [inputs.patients, '--restart']);
    assert.match(restarted.stdout, new RegExp(`^loaded ${PATIENTS} resources`));
    assert.deepEqual(counts(dir), { resources: PATIENTS, versions: 2 * PATIENTS });
  });

  it('commits when a transaction has lasted maxBatchMs, before the batch is full', async () => {
    const dir = makeProject(path.join(root.path, 'timed'));
    const store = await openStore(projectConfig({ projectDir: dir, versions: [r4Module], env: {} }), [
      r4Module,
    ]);
    let commits = 0;
    try {
      const summary = await loadFiles({
        store,
        binding: r4Module.binding,
        files: [inputs.observations],
        state: new LoadState(path.join(dir, 'state.json')),
        batchSize: 1000,
        maxBatchMs: 0,
        onProgress: () => {
          commits += 1;
        },
      });
      assert.equal(summary.loaded, OBSERVATIONS);
    } finally {
      await store.close();
    }
    assert.equal(commits, OBSERVATIONS);
  });

  it('reports a resource the store refuses, and still loads the rest of its batch', async () => {
    const dir = makeProject(path.join(root.path, 'refused'));
    const store = await openStore(projectConfig({ projectDir: dir, versions: [r4Module], env: {} }), [
      r4Module,
    ]);
    const refusing = new Proxy(store, {
      get(target, name, receiver) {
        if (name !== 'update') return Reflect.get(target, name, receiver);
        return (type: string, id: string, resource: ResourceJson, options: UpdateOptions) => {
          if (id === 'o-5') throw new FhirHttpError(409, 'o-5 is locked');
          return target.update(type, id, resource, options);
        };
      },
    });
    const reported: string[] = [];
    try {
      const summary = await loadFiles({
        store: refusing,
        binding: r4Module.binding,
        files: [inputs.observations],
        state: new LoadState(path.join(dir, 'state.json')),
        batchSize: 100,
        maxBatchMs: 600_000,
        onInvalid: (record) => reported.push(describeInvalid(record)),
      });
      assert.deepEqual([summary.loaded, summary.invalid], [OBSERVATIONS - 1, 1]);
    } finally {
      await store.close();
    }
    assert.deepEqual(reported, [`${inputs.observations}:6: o-5 is locked`]);
    assert.deepEqual(counts(dir), { resources: OBSERVATIONS - 1, versions: OBSERVATIONS - 1 });
  });

  it('on its signal, commits what it read and exits 130 saying how to resume', async () => {
    const dir = makeProject(path.join(root.path, 'signalled'));
    const controller = new AbortController();
    controller.abort();
    const output = await load(dir, [inputs.observations], controller.signal);
    assert.equal(output.code, 130);
    assert.match(output.stdout, /^loaded 1 resources/);
    assert.match(
      output.stderr,
      /Interrupted: run the same command again to resume \(progress in .*fhir\.sqlite\.load-state\.json\)/,
    );
    const resumed = await load(dir, [inputs.observations]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(counts(dir), { resources: OBSERVATIONS, versions: OBSERVATIONS });
  });

  it('resumes after its process is killed mid-load, losing at most the batch in progress', async () => {
    const dir = makeProject(path.join(root.path, 'killed'));
    const state = path.join(dir, 'data', 'fhir.sqlite.load-state.json');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(__dirname, 'fixtures', 'load', 'child.ts'),
        dir,
        inputs.patients,
        '--batch',
        '200',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    await eventually(async () => {
      assert.ok(existsSync(state), stderr);
      const progress = Object.values(JSON.parse(readFileSync(state, 'utf8')).files)[0] as { loaded: number };
      assert.ok(progress.loaded >= 1000, `${progress.loaded} loaded`);
    }, 120_000);
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const partial = counts(dir).resources;
    assert.ok(partial < PATIENTS, `${partial} loaded before the kill`);

    const resumed = await load(dir, [inputs.patients, '--batch', '200']);
    assert.equal(resumed.code, 1, resumed.stderr);
    const { resources, versions } = counts(dir);
    assert.equal(resources, PATIENTS);
    // A batch committed just before the kill but not yet recorded is written again (a new version).
    assert.ok(versions - resources <= 200, `${versions - resources} resources written twice`);
  });

  it("loads a Bundle file's entry resources, reporting a bad entry by its number", async () => {
    const dir = makeProject(path.join(root.path, 'bundle'));
    const bundle = path.join(root.path, 'bundle.json');
    writeFileSync(
      bundle,
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'collection',
        entry: [
          { resource: bulkPatient(1) },
          { resource: { resourceType: 'Patient', birthDate: 'soon' } },
          { resource: bulkObservation(1, 1) },
          {},
        ],
      }),
    );
    const output = await load(dir, [bundle]);
    assert.equal(output.code, 1);
    assert.match(output.stdout, /^loaded 2 resources .*, 2 invalid/);
    assert.match(output.stderr, /bundle\.json:entry 2: .*birthDate/);
    assert.match(output.stderr, /bundle\.json:entry 4: The Bundle entry has no resource/);
    assert.equal(counts(dir).resources, 2);
  });

  it('exits 2 saying what to do for a missing file, an unknown version or no file', async () => {
    const dir = makeProject(path.join(root.path, 'usage'));
    const missing = await load(dir, ['nowhere.ndjson']);
    assert.deepEqual(
      [missing.code, missing.stderr],
      [2, 'nowhere.ndjson: no such file; name NDJSON or Bundle JSON files to load\n'],
    );
    const version = await load(dir, [inputs.observations, '--fhir', 'r5']);
    assert.equal(version.code, 2);
    assert.match(version.stderr, /--fhir r5: this project has no such FHIR version; choose one of r4/);
    const none = await load(dir, []);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /usage: npm run load -- <file\.ndjson/);
    assert.equal(existsSync(path.join(dir, 'data', 'fhir.sqlite')), false);
  });
});

describe('bulk load: reading lines', () => {
  const folders = tempFolders('lines');
  after(() => folders.cleanup());

  it('gives each line its number and the byte offset after it, across \\r\\n and multi-byte text, from any offset', async () => {
    const file = path.join(folders.make(), 'lines.ndjson');
    writeFileSync(file, 'a\r\nÉlodie\n\nlast');
    const all = [];
    for await (const line of readLines(file)) all.push(line);
    assert.deepEqual(all, [
      { text: 'a', number: 1, end: 3 },
      { text: 'Élodie', number: 2, end: 11 },
      { text: '', number: 3, end: 12 },
      { text: 'last', number: 4, end: 16 },
    ]);
    const rest = [];
    for await (const line of readLines(file, { offset: 11, line: 2 })) rest.push(line);
    assert.deepEqual(rest, all.slice(2));
  });
});

describe('bulk load: progress', () => {
  function stream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
    const chunks: string[] = [];
    const fake = {
      isTTY,
      columns: 120,
      write: (chunk: string) => chunks.push(chunk) > 0,
      cursorTo: () => true,
      clearLine: () => true,
      clearScreenDown: () => true,
      moveCursor: () => true,
      on: () => fake,
      removeListener: () => fake,
    };
    return { stream: fake as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
  }
  const progress = {
    file: 'a.ndjson',
    bytesDone: 3 * 1024 * 1024,
    bytesTotal: 12 * 1024 * 1024,
    loaded: 3000,
    invalid: 2,
    seconds: 1.5,
  };

  it('writes a plain line at most every interval when not on a terminal', () => {
    const out = stream(false);
    const reporter = createReporter(out.stream, 60_000);
    reporter.progress(progress);
    reporter.progress({ ...progress, loaded: 4000 });
    reporter.line('a.ndjson:3: Not JSON');
    reporter.stop();
    assert.equal(
      out.text(),
      'load: 25% of 12.0 MB, 3000 loaded, 2 invalid, 2000 resources/s\na.ndjson:3: Not JSON\n',
    );
  });

  it('draws a bar with MB done, rate and counts on a terminal', () => {
    const out = stream(true);
    const reporter = createReporter(out.stream);
    reporter.progress(progress);
    reporter.stop();
    assert.match(out.text(), /25% \| 3\.0\/12\.0 MB \| 2000 resources\/s \| 3000 loaded, 2 invalid/);
  });
});
