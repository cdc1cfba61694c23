import assert from 'node:assert/strict';
import fhirpath from 'fhirpath';
import { xpathToFhirPath } from '../../src/runtime/search/xpath';

describe('DSTU2 xpath to FHIRPath', () => {
  const cases: [string, string | undefined][] = [
    ['f:Patient/f:name', 'Patient.name'],
    ['f:Patient/f:name | f:Patient/f:alias', 'Patient.name | Patient.alias'],
    ["f:Patient/f:telecom[system/@value='email']", "Patient.telecom.where(system = 'email')"],
    ["f:Patient/f:extension[@url='http://x.org/race']", "Patient.extension.where(url = 'http://x.org/race')"],
    ['f:Bundle/f:entry/f:resource[0]', 'Bundle.entry.resource.first()'],
    ['f:Observation/f:valueQuantity', 'Observation.valueQuantity'],
    ['f:Patient/f:name[contains(., "x")]', undefined],
    ['//f:Patient', undefined],
    ['f:Patient/@id', undefined],
  ];
  for (const [xpath, want] of cases) it(xpath, () => assert.equal(xpathToFhirPath(xpath), want));

  it('selects on JSON what the xpath selects on XML', () => {
    const patient = {
      resourceType: 'Patient',
      telecom: [
        { system: 'phone', value: '555' },
        { system: 'email', value: 'a@b.org' },
      ],
      extension: [
        { url: 'http://x.org/race', valueCoding: { code: 'x' } },
        { url: 'http://x.org/other', valueString: 'y' },
      ],
    };
    const email = xpathToFhirPath("f:Patient/f:telecom[system/@value='email']") ?? '';
    assert.deepEqual(fhirpath.evaluate(patient, email), [{ system: 'email', value: 'a@b.org' }]);
    const race = xpathToFhirPath("f:Patient/f:extension[@url='http://x.org/race']") ?? '';
    assert.deepEqual(fhirpath.evaluate(patient, race), [
      { url: 'http://x.org/race', valueCoding: { code: 'x' } },
    ]);
  });
});
