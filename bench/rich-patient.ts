/**
 * A Patient as real systems send it (about 3.4 KB): several names, addresses, telecoms and
 * identifiers, a marital status, languages, a contact and a practitioner. The write benches create
 * it; `n` varies its names and identifiers so that no two are alike.
 */
export function richPatient(n = 0): Record<string, unknown> {
  const names = Array.from({ length: 6 }, (_, i) => ({
    use: i === 0 ? 'official' : 'usual',
    family: `Family${(n + i) % 1000}`,
    given: [`Given${i}`, `Middle${n % 97}`],
    prefix: ['Dr.'],
  }));
  const addresses = Array.from({ length: 6 }, (_, i) => ({
    use: 'home',
    type: 'both',
    line: [`${i + 1} Example Street`, `Apartment ${n % 50}`],
    city: 'Springfield',
    state: 'IL',
    postalCode: `6270${i}`,
    country: 'USA',
  }));
  const telecom = Array.from({ length: 6 }, (_, i) => ({
    system: i % 2 === 0 ? 'phone' : 'email',
    value: i % 2 === 0 ? `+1 555 010${i}` : `patient${n}.${i}@example.org`,
    use: 'home',
    rank: i + 1,
  }));
  const identifier = Array.from({ length: 6 }, (_, i) => ({
    use: 'usual',
    type: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }],
    },
    system: `urn:oid:1.2.36.146.595.217.0.${i + 1}`,
    value: `MRN-${n}-${i}`,
  }));
  return {
    resourceType: 'Patient',
    active: true,
    identifier,
    name: names,
    telecom,
    gender: n % 2 === 0 ? 'female' : 'male',
    birthDate: `19${String(30 + (n % 70)).padStart(2, '0')}-12-25`,
    address: addresses,
    maritalStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M' }],
    },
    communication: [
      { language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en-US' }] }, preferred: true },
    ],
    contact: [
      {
        relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'N' }] }],
        name: { family: 'Contact', given: ['Next', 'Of-Kin'] },
        telecom: [{ system: 'phone', value: '+1 555 0199' }],
      },
    ],
    generalPractitioner: [{ reference: 'Practitioner/example', display: 'Dr. Adam Careful' }],
  };
}
