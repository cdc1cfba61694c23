/**
 * The search benches' data: Patients and Observations from a fixed pseudo-random sequence, so that
 * every run (and every server process) indexes the same resources.
 */
const FAMILIES = [
  'Smith',
  'Jones',
  'Taylor',
  'Brown',
  'Williams',
  'Wilson',
  'Johnson',
  'Davies',
  'Robinson',
  'Wright',
];
const GIVEN = ['Peter', 'Anna', 'James', 'Maria', 'John', 'Elena', 'Paul', 'Sara', 'Mark', 'Julia'];

export { FAMILIES };

/** mulberry32 */
export function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function benchPatient(i: number, next: () => number) {
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)] as T;
  const year = 1930 + Math.floor(next() * 90);
  const month = String(1 + Math.floor(next() * 12)).padStart(2, '0');
  const day = String(1 + Math.floor(next() * 28)).padStart(2, '0');
  return {
    resourceType: 'Patient',
    id: `p${i}`,
    identifier: [{ system: 'urn:bench:mrn', value: `MRN${i}` }],
    name: [{ family: `${pick(FAMILIES)}${i % 100}`, given: [pick(GIVEN)] }],
    gender: next() < 0.5 ? 'female' : 'male',
    birthDate: `${year}-${month}-${day}`,
    address: [{ city: 'Springfield', postalCode: String(10000 + i) }],
  };
}

export function benchObservation(i: number, patients: number) {
  return {
    resourceType: 'Observation',
    id: `o${i}`,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: i % 2 === 0 ? '8867-4' : '29463-7' }] },
    subject: { reference: `Patient/p${i % patients}` },
    effectiveDateTime: `2020-01-${String(1 + (i % 28)).padStart(2, '0')}`,
    valueQuantity: { value: 40 + (i % 100), unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
  };
}
