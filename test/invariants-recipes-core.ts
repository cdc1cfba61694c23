/** Invariant mutant recipes: Observation, Patient and the data types in them, DomainResource and Bundle. */
import {
  bundle,
  div,
  drop,
  has,
  type Json,
  NEW,
  organization,
  type Recipe,
  withContained,
} from './invariants-recipe-kit';

export const CORE_RECIPES: Recipe[] = [
  // Observation (https://hl7.org/fhir/R4/observation.html#invs)
  {
    key: 'obs-6',
    base: (p) => p('Observation', (j) => has('valueQuantity')(j) && !j.contained),
    mutate: (j) => {
      j.dataAbsentReason = { text: 'unknown' };
    },
    location: 'Observation',
    wrap: true,
  },
  {
    key: 'obs-7',
    versions: NEW,
    base: (p) => p('Observation', has('valueQuantity')),
    mutate: (j) => {
      j.component = [{ code: structuredClone(j.code), valueString: 'same code' }];
    },
    location: 'Observation',
  },
  {
    key: 'obs-3',
    base: (p) => p('Observation'),
    mutate: (j, v) => {
      j.referenceRange = [v === 'dstu2' ? { meaning: { text: 'normal' } } : { type: { text: 'normal' } }];
    },
    location: 'Observation.referenceRange[0]',
  },
  {
    key: 'qty-3',
    base: (p) => p('Observation', (j) => has('valueQuantity')(j) && !j.contained),
    mutate: (j) => {
      const q = j.valueQuantity as Json;
      delete q.system;
      q.code = 'kg';
    },
    location: 'Observation.valueQuantity',
    wrap: true,
  },
  {
    key: 'sqty-1',
    structural: true,
    base: (p) => p('Observation'),
    mutate: (j) => {
      j.referenceRange = [{ low: { value: 1, comparator: '<' } }];
    },
    location: 'Observation.referenceRange[0].low',
  },
  {
    key: 'rng-2',
    base: (p) => p('Observation', has('valueQuantity')),
    mutate: (j) => {
      drop(j, 'value');
      j.valueRange = {
        low: { value: 10, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' },
        high: { value: 5, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' },
      };
    },
    location: 'Observation.valueRange',
  },
  {
    key: 'rat-1',
    base: (p) => p('Observation', has('valueQuantity')),
    mutate: (j) => {
      drop(j, 'value');
      j.valueRatio = { numerator: { value: 1 } };
    },
    location: 'Observation.valueRatio',
  },
  {
    key: 'ref-1',
    base: (p) => p('Observation', (j) => !j.contained),
    mutate: (j) => {
      j.subject = { reference: '#missing' };
    },
    location: 'Observation.subject',
  },
  // Patient and the data types in it
  {
    key: 'pat-1',
    base: (p) => p('Patient'),
    mutate: (j) => {
      j.contact = [{ gender: 'female' }];
    },
    location: 'Patient.contact[0]',
    wrap: true,
  },
  {
    key: 'per-1',
    base: (p) => p('Patient', has('name')),
    mutate: (j) => {
      ((j.name as Json[])[0] as Json).period = { start: '2020-02-01', end: '2020-01-01' };
    },
    location: 'Patient.name[0].period',
    wrap: true,
  },
  {
    key: 'cpt-2',
    base: (p) => p('Patient'),
    mutate: (j) => {
      j.telecom = [{ value: '555-0100' }];
    },
    location: 'Patient.telecom[0]',
    wrap: true,
  },
  {
    key: 'att-1',
    base: (p) => p('Patient'),
    mutate: (j) => {
      j.photo = [{ data: 'AAAA' }];
    },
    location: 'Patient.photo[0]',
    wrap: true,
  },
  {
    key: 'ele-1',
    base: (p) => p('Patient'),
    mutate: (j) => {
      j.maritalStatus = { id: 'm1' };
    },
    location: 'Patient.maritalStatus',
    wrap: true,
  },
  {
    key: 'ext-1',
    versions: NEW,
    base: (p) => p('Patient'),
    mutate: (j) => {
      j.extension = [
        { url: 'http://example.org/x', valueString: 'a', extension: [{ url: 'y', valueString: 'b' }] },
      ];
    },
    location: 'Patient.extension[0]',
    wrap: true,
  },
  // DomainResource (https://hl7.org/fhir/R4/domainresource.html#invs)
  {
    key: 'dom-2',
    base: (p) => p('Patient', (j) => !j.contained),
    mutate: (j) =>
      withContained(
        j,
        organization({ id: 'p', contained: [organization({ id: 'p' })], partOf: { reference: '#p' } }),
      ),
    location: 'Patient',
  },
  {
    key: 'dom-3',
    base: (p) => p('Patient', (j) => !j.contained),
    mutate: (j) => {
      j.contained = [organization()];
    },
    location: 'Patient',
  },
  {
    key: 'dom-4',
    base: (p) => p('Patient', (j) => !j.contained),
    mutate: (j) => withContained(j, organization({ meta: { versionId: '1' } })),
    location: 'Patient',
  },
  {
    key: 'dom-5',
    versions: ['r4'],
    base: (p) => p('Patient', (j) => !j.contained),
    mutate: (j) =>
      withContained(
        j,
        organization({
          meta: {
            security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }],
          },
        }),
      ),
    location: 'Patient',
  },
  {
    key: 'dom-1',
    versions: ['dstu2', 'stu3'],
    base: (p) => p('Patient', (j) => !j.contained),
    mutate: (j) => withContained(j, organization({ text: { status: 'generated', div: div('x') } })),
    location: 'Patient',
  },
  // Bundle (https://hl7.org/fhir/R4/bundle.html#invs), around official Patients
  {
    key: 'bdl-1',
    base: (p) => bundle('collection', [p('Patient')]),
    mutate: (j) => {
      j.total = 1;
    },
    location: 'Bundle',
  },
  {
    key: 'bdl-2',
    base: (p) => bundle('collection', [p('Patient')]),
    mutate: (j) => {
      ((j.entry as Json[])[0] as Json).search = { mode: 'match' };
    },
    location: 'Bundle',
  },
  {
    key: 'bdl-3',
    base: (p) => bundle('collection', [p('Patient')]),
    mutate: (j) => {
      ((j.entry as Json[])[0] as Json).request = { method: 'POST', url: 'Patient' };
    },
    location: 'Bundle',
  },
  {
    key: 'bdl-4',
    base: (p) => bundle('collection', [p('Patient')]),
    mutate: (j) => {
      ((j.entry as Json[])[0] as Json).response = { status: '201' };
    },
    location: 'Bundle',
  },
  {
    key: 'bdl-5',
    base: (p) => bundle('collection', [p('Patient')]),
    mutate: (j) => {
      (j.entry as Json[]).push({ fullUrl: 'urn:uuid:0c3fa1b2-0000-4000-8000-000000000009' });
    },
    location: 'Bundle.entry[1]',
  },
  {
    key: 'bdl-7',
    base: (p) => bundle('collection', [p('Patient'), p('Observation')]),
    mutate: (j) => {
      ((j.entry as Json[])[1] as Json).fullUrl = ((j.entry as Json[])[0] as Json).fullUrl;
    },
    location: 'Bundle',
  },
  {
    key: 'bdl-8',
    versions: NEW,
    base: (p) => bundle('collection', [p('Patient')]),
    mutate: (j) => {
      ((j.entry as Json[])[0] as Json).fullUrl = 'http://example.org/fhir/Patient/1/_history/1';
    },
    location: 'Bundle.entry[0]',
  },
  {
    key: 'bdl-9',
    versions: NEW,
    base: (p, v) =>
      bundle('document', [p('Composition'), p('Patient')], {
        identifier: { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:0c3fa1b2-0000-4000-8000-000000000001' },
        ...(v === 'r4' ? { timestamp: '2020-01-01T00:00:00Z' } : {}),
      }),
    mutate: (j) => {
      delete j.identifier;
    },
    location: 'Bundle',
  },
  {
    key: 'bdl-10',
    versions: ['r4'],
    base: (p) =>
      bundle('document', [p('Composition'), p('Patient')], {
        identifier: { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:0c3fa1b2-0000-4000-8000-000000000001' },
        timestamp: '2020-01-01T00:00:00Z',
      }),
    mutate: (j) => {
      delete j.timestamp;
    },
    location: 'Bundle',
  },
  {
    key: 'bdl-11',
    versions: ['r4'],
    base: (p) =>
      bundle('document', [p('Composition'), p('Patient')], {
        identifier: { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:0c3fa1b2-0000-4000-8000-000000000001' },
        timestamp: '2020-01-01T00:00:00Z',
      }),
    mutate: (j) => {
      (j.entry as Json[]).reverse();
    },
    location: 'Bundle',
  },
  {
    key: 'bdl-12',
    versions: ['r4'],
    base: (p) => bundle('message', [p('MessageHeader'), p('Patient')]),
    mutate: (j) => {
      (j.entry as Json[]).reverse();
    },
    location: 'Bundle',
  },
];
