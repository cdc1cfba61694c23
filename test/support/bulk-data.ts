/**
 * Generated resources for bulk-load tests and the bulk-load benchmark, varied by their index so that
 * searches on names, birth dates, identifiers and subjects have known answers.
 */
import { writeFileSync } from 'node:fs';

export const FAMILIES = ['Smith', 'Jones', 'Garcia', 'Nguyen', 'Okafor'];

/** Patient `p-<index>`: family `FAMILIES[index % 5]`, born in 1950 + index % 50, `rich` as bench/server.bench.ts's. */
export function bulkPatient(index: number, rich = false): Record<string, unknown> {
  const copies = rich ? 8 : 1;
  const family = FAMILIES[index % FAMILIES.length] as string;
  return {
    resourceType: 'Patient',
    id: `p-${index}`,
    active: true,
    identifier: Array.from({ length: copies }, (_, i) => ({
      system: 'urn:oid:1.2.36.146.595.217.0.1',
      value: `MRN-${index}-${i}`,
    })),
    name: Array.from({ length: copies }, (_, i) => ({
      use: 'official',
      family: i === 0 ? family : `${family}${i}`,
      given: [`Given${index}`, `Middle${i}`],
      prefix: ['Dr.'],
    })),
    telecom: Array.from({ length: copies }, (_, i) => ({
      system: 'phone',
      value: `+1 555 ${String(index).padStart(6, '0')}${i}`,
      use: 'home',
      rank: i + 1,
    })),
    gender: index % 2 === 0 ? 'female' : 'male',
    birthDate: `${1950 + (index % 50)}-0${1 + (index % 9)}-1${index % 10}`,
    address: Array.from({ length: copies }, (_, i) => ({
      use: 'home',
      line: [`${i + 1} Example Street`, `Apartment ${index}`],
      city: 'Springfield',
      state: 'IL',
      postalCode: `6270${i}`,
      country: 'USA',
    })),
  };
}

/** Observation `o-<index>`, a heart rate of Patient `p-<patient>`. */
export function bulkObservation(index: number, patient: number): Record<string, unknown> {
  return {
    resourceType: 'Observation',
    id: `o-${index}`,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/p-${patient}` },
    effectiveDateTime: '2024-05-01T10:00:00Z',
    valueQuantity: {
      value: 60 + (index % 40),
      unit: 'beats/minute',
      system: 'http://unitsofmeasure.org',
      code: '/min',
    },
  };
}

/** Writes resources (or raw lines, for invalid ones) as NDJSON; returns the file. */
export function writeNdjson(file: string, lines: Iterable<Record<string, unknown> | string>): string {
  const text: string[] = [];
  for (const line of lines) text.push(typeof line === 'string' ? line : JSON.stringify(line));
  writeFileSync(file, `${text.join('\n')}\n`);
  return file;
}
