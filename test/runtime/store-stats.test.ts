/**
 * The storage report (`npm run store:stats`, src/runtime/stats/): per resource type its current,
 * deleted and versioned resources, JSON bytes and search index rows; per table rows and bytes; the
 * SQLite file's size. Checked against what was written, through the store's interface.
 */
import assert from 'node:assert/strict';
import { projectConfig } from '../../src/runtime/app/run';
import { openStore } from '../../src/runtime/load/cli';
import { runStats } from '../../src/runtime/stats/cli';
import type { StoreStats } from '../../src/runtime/stats/store-stats';
import { bulkObservation, bulkPatient } from '../support/bulk-data';
import { tempFolders } from '../support/temp';
import { makeProject, r4Module } from './fixtures/load/project';

function capture(): { stream: NodeJS.WritableStream; text: () => string } {
  const chunks: string[] = [];
  const stream = { write: (chunk: string) => chunks.push(chunk) > 0 } as unknown as NodeJS.WritableStream;
  return { stream, text: () => chunks.join('') };
}

describe('store stats', function () {
  this.timeout(60_000);
  const folders = tempFolders('stats');
  after(() => folders.cleanup());

  it('counts resources, deletions, versions, JSON bytes and index rows per type, and table sizes', async () => {
    const dir = makeProject(folders.make());
    const store = await openStore(projectConfig({ projectDir: dir, versions: [r4Module], env: {} }), [
      r4Module,
    ]);
    const written: string[] = [];
    try {
      for (let i = 0; i < 3; i += 1) await store.create('Patient', bulkPatient(i) as never);
      const updated = await store.update('Patient', 'p-0', { ...bulkPatient(0), gender: 'other' } as never, {
        allowCreate: true,
      });
      await store.delete('Patient', 'p-2');
      written.push(JSON.stringify(updated.resource), JSON.stringify(await store.read('Patient', 'p-1')));
      await store.create('Observation', bulkObservation(1, 1) as never);
    } finally {
      await store.close();
    }
    const out = capture();
    assert.equal(
      await runStats({
        projectDir: dir,
        versions: [r4Module],
        args: ['--json'],
        env: {},
        stdout: out.stream,
      }),
      0,
    );
    const stats = JSON.parse(out.text()) as StoreStats;
    assert.equal(stats.kind, 'sqlite');
    const patient = stats.types.find((type) => type.resourceType === 'Patient');
    assert.ok(patient);
    assert.deepEqual(
      [patient.resources, patient.deleted, patient.versions],
      [2, 1, 5], // p-0 twice, p-1, p-2 and its deletion
    );
    assert.equal(
      patient.jsonBytes,
      written.reduce((sum, json) => sum + Buffer.byteLength(json), 0),
    );
    // The older versions (p-0's first, p-2's before its deletion) as stored: deflated, so fewer bytes
    // than their JSON, and more than none.
    const older = [bulkPatient(0), bulkPatient(2)].reduce(
      (sum, json) => sum + JSON.stringify(json).length,
      0,
    );
    assert.ok(
      patient.olderVersionBytes > 0 && patient.olderVersionBytes < older,
      `${patient.olderVersionBytes}`,
    );
    const observation = stats.types.find((type) => type.resourceType === 'Observation');
    assert.deepEqual([observation?.resources, observation?.versions], [1, 1]);
    // Index rows of the two current Patients (names, identifiers, ...) and none of the deleted one.
    assert.ok(patient.indexRows >= 2 * 10, `${patient.indexRows} Patient index rows`);
    const strings = stats.tables.find((table) => table.name === 'search_string');
    assert.ok(strings && strings.rows > 0 && (strings.bytes ?? 0) > 0, JSON.stringify(strings));
    assert.deepEqual(
      stats.tables
        .filter((table) => table.name.startsWith('resource'))
        .map((table) => [table.name, table.rows]),
      [
        ['resource_history', 6],
        ['resources', 4],
      ],
    );
    assert.equal(
      stats.types.reduce((sum, type) => sum + type.indexRows, 0),
      stats.tables
        .filter((table) => table.name.startsWith('search_'))
        .reduce((sum, table) => sum + table.rows, 0),
    );
    assert.ok((stats.fileBytes ?? 0) > 0);

    const text = capture();
    assert.equal(
      await runStats({ projectDir: dir, versions: [r4Module], args: [], env: {}, stdout: text.stream }),
      0,
    );
    assert.match(text.text(), /^sqlite store\n/);
    assert.match(
      text.text(),
      new RegExp(`\\nPatient\\s+2\\s+1\\s+5\\s+[\\d.]+ KB\\s+[\\d.]+ (B|KB)\\s+${patient.indexRows}\\n`),
    );
    assert.match(text.text(), /file \(with its write-ahead log\): [\d.]+ (KB|MB)\n$/);
  });

  it('exits 2 on an unknown argument', async () => {
    const err = capture();
    const code = await runStats({
      projectDir: folders.make(),
      versions: [r4Module],
      args: ['--yaml'],
      stderr: err.stream,
    });
    assert.equal(code, 2);
    assert.match(err.text(), /usage: npm run store:stats/);
  });
});
