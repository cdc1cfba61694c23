import assert from 'node:assert/strict';
import { valueSetMembers } from '../src/emit/server/version-data';
import type { FhirModel } from '../src/ir';
import { loadModel } from './support/models';

const GENDER = 'http://hl7.org/fhir/ValueSet/administrative-gender';

describe('IR bound value sets, on the real cores', function () {
  this.timeout(120_000);
  const models: Partial<Record<'r4' | 'stu3' | 'dstu2', FhirModel>> = {};
  before(async () => {
    for (const id of ['r4', 'stu3', 'dstu2'] as const) models[id] = await loadModel(id);
  });

  for (const id of ['r4', 'stu3', 'dstu2'] as const) {
    it(`${id}: lists bound ValueSets with each member's code system, sorted, without unlisted ones`, () => {
      const model = models[id] as FhirModel;
      const urls = model.valueSets.map((valueSet) => valueSet.url);
      assert.deepEqual(urls, [...urls].sort());
      assert.ok(urls.length > 200, `only ${urls.length} value sets`);
      const members = valueSetMembers(model);
      assert.deepEqual(members[GENDER], [
        'http://hl7.org/fhir/administrative-gender|male',
        'http://hl7.org/fhir/administrative-gender|female',
        'http://hl7.org/fhir/administrative-gender|other',
        'http://hl7.org/fhir/administrative-gender|unknown',
      ]);
      // Bound, but its codes come from an external terminology (LOINC): not listed.
      assert.equal(members['http://hl7.org/fhir/ValueSet/observation-codes'], undefined);
      for (const valueSet of model.valueSets) {
        assert.ok(valueSet.members.length > 0);
        for (const member of valueSet.members) assert.ok(member.system.length > 0 && member.code.length > 0);
      }
    });
  }

  it('r4: expands a ValueSet of a whole code system and one of listed codes', () => {
    const members = valueSetMembers(models.r4 as FhirModel);
    assert.ok(
      members['http://hl7.org/fhir/ValueSet/observation-status']?.includes(
        'http://hl7.org/fhir/observation-status|final',
      ),
    );
    assert.deepEqual(members['http://hl7.org/fhir/ValueSet/address-use'], [
      'http://hl7.org/fhir/address-use|home',
      'http://hl7.org/fhir/address-use|work',
      'http://hl7.org/fhir/address-use|temp',
      'http://hl7.org/fhir/address-use|old',
      'http://hl7.org/fhir/address-use|billing',
    ]);
  });
});
