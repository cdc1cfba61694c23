/**
 * How many index rows a rich resource costs, with the search tables a default project mounts (DSTU2,
 * STU3 and R4, read from `generated/` as a project reads them). Every row is stored in its table and
 * in two or three indexes, so this bounds the bytes and the time of each write: a change that adds
 * rows must say why here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createIndexRows, type IndexRow } from '../../src/runtime/search/sql/indexer';
import type { FhirVersion, SearchTables } from '../../src/runtime/search/table';
import { type RichResource, richObservation, richPatient } from './fixtures/search/rich';

function tables(version: FhirVersion): SearchTables {
  const file = path.resolve(__dirname, `../../generated/${version}/server/search-parameters.json`);
  return JSON.parse(readFileSync(file, 'utf8')) as SearchTables;
}

const ALL = { dstu2: tables('dstu2'), stu3: tables('stu3'), r4: tables('r4') };

function rowsOf(resource: RichResource, versions: Partial<Record<FhirVersion, SearchTables>>): IndexRow[] {
  return createIndexRows({ versions })({
    kind: 'create',
    resourceType: resource.resourceType,
    id: 'x',
    resource,
  });
}

function byKind(rows: IndexRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const row of rows) out[row.kind] = (out[row.kind] ?? 0) + 1;
  return out;
}

describe('search index: rows per rich resource', () => {
  it('a rich Patient: 117 rows for R4, 118 for DSTU2, STU3 and R4 together (646 before index keys)', () => {
    // R4, one row per distinct value of each parameter:
    // - strings 87: name 25 (8 families, 16 given names, "Dr." once; `phonetic` has the same
    //   definition and shares them), family 8, given 16, address 27 (16 lines, 8 postal codes, one
    //   city, state and country), address-city 1, -state 1, -postalcode 8, -country 1;
    // - tokens 29: identifier 8, telecom 8, phone 8 (the same ContactPoints, another parameter), _id,
    //   active, gender, address-use and deceased (false) 1 each;
    // - dates 1: birthdate.
    const r4 = rowsOf(richPatient('x'), { r4: ALL.r4 });
    assert.deepEqual(byKind(r4), { token: 29, string: 87, date: 1 });
    // DSTU2 and STU3 share every definition these values reach with R4 (DSTU2's `phone`, written
    // `where(system = 'phone')`, differs in spacing only), but for `deceased`, whose STU3 expression
    // differs: one token more.
    const all = rowsOf(richPatient('x'), ALL);
    assert.ok(all.length <= 118, `${all.length} rows for the rich Patient: ${JSON.stringify(byKind(all))}`);
  });

  it('a blood pressure Observation with two components: 30 rows for R4, 37 for all three versions (115 before)', () => {
    // R4: tokens 17 (_id, status, category, identifier, based-on's identifier 1 each; code 2: its
    // coding and its text; component-code 2; combo-code 4: the code's two and the components' codings;
    // code-value-* none, as the Observation has no value of its own; the
    // component-code-value-quantity and combo-code-value-quantity composites 2 nodes each, their code
    // components), quantities 8 (component-value-quantity and combo-value-quantity 2 each, and the
    // composites' value components 2 each), reference 3 (subject, patient, performer), date 1, uri 1
    // (_profile). A composite node missing one component is not indexed: it can never match.
    const r4 = rowsOf(richObservation('x'), { r4: ALL.r4 });
    assert.ok(r4.length <= 30, `${r4.length} rows for R4: ${JSON.stringify(byKind(r4))}`);
    // DSTU2 and STU3 write `value as Quantity` and `effective` differently: their own quantity and
    // date rows (6 and 1) under their own keys.
    const all = rowsOf(richObservation('x'), ALL);
    assert.ok(all.length <= 37, `${all.length} rows for all versions: ${JSON.stringify(byKind(all))}`);
  });
});
