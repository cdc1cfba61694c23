import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Registry, refusedUrl, sharedFhirDir, startRegistry } from './support/registry';
import { tempFolders } from './support/temp';

const BIN = path.resolve(__dirname, '..', 'bin', 'fhirgen');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs bin/fhirgen as a child process; asynchronous so that the registry in this process can answer. */
function fhirgen(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env, FHIRGEN_REGISTRY: '', FHIRGEN_CACHE: '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** One line on stderr, no stack trace. */
function assertOneLine(run: Run, pattern: RegExp): void {
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
}

describe('definitions: the fetch and list commands', function () {
  this.timeout(120_000);
  const temp = tempFolders('cli');
  let registry: Registry;
  let env: Record<string, string>;
  before(async () => {
    registry = await startRegistry({ faults: { 'example.missing': { kind: 'not-found' } } });
  });
  beforeEach(() => {
    env = { FHIRGEN_REGISTRY: registry.url, FHIRGEN_CACHE: temp.make() };
  });
  after(async () => {
    await registry.close();
    temp.cleanup();
  });

  it('fetches a package, lists it, and finds it cached the second time', async () => {
    const first = await fhirgen(['definitions', 'fetch', 'hl7.fhir.r2.examples@1.0.2'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^fetched hl7\.fhir\.r2\.examples@1\.0\.2 \(FHIR 1\.0\.2\)/);
    const requests = registry.requests.length;
    const second = await fhirgen(['definitions', 'fetch', 'hl7.fhir.r2.examples@1.0.2'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^cached +hl7\.fhir\.r2\.examples@1\.0\.2/);
    assert.equal(registry.requests.length, requests);
    const list = await fhirgen(['definitions', 'list'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /hl7\.fhir\.r2\.examples +1\.0\.2 +1\.0\.2 +\d+\.\d MB/);
    assert.match(list.stdout, /1 package\(s\) in /);
  });

  it('--registry and --cache override the environment', async () => {
    const cache = temp.make();
    const run = await fhirgen(
      ['--registry', registry.url, '--cache', cache, 'definitions', 'fetch', 'hl7.fhir.r3.examples@3.0.1'],
      { FHIRGEN_REGISTRY: await refusedUrl(), FHIRGEN_CACHE: temp.make() },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(readdirSync(cache), ['hl7.fhir.r3.examples#3.0.1']);
  });

  it('an unknown alias exits 2 with one line', async () => {
    const run = await fhirgen(['definitions', 'fetch', 'r5'], env);
    assert.equal(run.code, 2);
    assertOneLine(run, /^fhirgen: unknown FHIR version alias "r5".*use one of dstu2, r2, stu3, r3, r4/);
  });

  it('a package the registry does not have exits 3 with one line', async () => {
    const run = await fhirgen(['definitions', 'fetch', 'example.missing@1.0.0'], env);
    assert.equal(run.code, 3);
    assertOneLine(run, /^fhirgen: package example\.missing@1\.0\.0 is not in the registry/);
  });

  it('an unreachable registry exits 3; --verbose adds the stack', async () => {
    const refused = { ...env, FHIRGEN_REGISTRY: await refusedUrl() };
    const run = await fhirgen(['definitions', 'fetch', 'r4'], refused);
    assert.equal(run.code, 3);
    assertOneLine(run, /^fhirgen: cannot connect to the package registry .*--registry/);
    const verbose = await fhirgen(['--verbose', 'definitions', 'fetch', 'r4'], refused);
    assert.equal(verbose.code, 3);
    assert.match(verbose.stderr, /\n\s+at /);
  });

  it('usage errors exit 2', async () => {
    const none = await fhirgen(['definitions', 'fetch'], env);
    assert.equal(none.code, 2);
    assertOneLine(none, /name at least one package/);
    const unknownOption = await fhirgen(['definitions', 'fetch', 'r4', '--frobnicate'], env);
    assert.equal(unknownOption.code, 2);
    const badSha = await fhirgen(['definitions', 'fetch', 'r4', '--sha256', 'xyz'], env);
    assert.equal(badSha.code, 2);
    assertOneLine(badSha, /--sha256 takes 64 hexadecimal characters/);
  });

  it('--definitions adds a local archive checked with --sha256, and rejects a wrong one with exit 2', async () => {
    const file = path.join(sharedFhirDir(), 'hl7.fhir.r2.examples-1.0.2.tgz');
    const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
    const wrong = await fhirgen(
      ['definitions', 'fetch', '--definitions', file, '--sha256', '0'.repeat(64)],
      env,
    );
    assert.equal(wrong.code, 2);
    assertOneLine(wrong, /checksum does not match the expected sha256/);
    assert.deepEqual(readdirSync(env.FHIRGEN_CACHE ?? ''), []);
    const run = await fhirgen(['definitions', 'fetch', '--definitions', file, '--sha256', sha256], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^added +hl7\.fhir\.r2\.examples@1\.0\.2/);
    const missing = await fhirgen(
      ['definitions', 'fetch', '--definitions', path.join(temp.make(), 'x.json')],
      env,
    );
    assert.equal(missing.code, 2);
    assertOneLine(missing, /the definitions path does not exist/);
  });

  it('lists a folder whose package.json is broken without failing', async () => {
    const cache = env.FHIRGEN_CACHE ?? '';
    mkdirSync(path.join(cache, 'example.broken#1.0.0', 'package'), { recursive: true });
    writeFileSync(path.join(cache, 'example.broken#1.0.0', 'package', 'package.json'), '{');
    const run = await fhirgen(['definitions', 'list'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /example\.broken +1\.0\.0 +unreadable package\.json/);
  });

  it('lists an empty cache', async () => {
    const run = await fhirgen(['definitions', 'list'], env);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^no packages in /);
  });
});
