/**
 * The patient compartment as `generated/<version>/server/version.json` carries it: each listed
 * parameter resolved to the element paths a server checks, from the real core packages.
 */
import assert from 'node:assert/strict';
import { versionFacts } from '../src/emit/server/version-data';
import type { FhirVersionId } from '../src/ir';
import { loadModel } from './support/models';

const CASES: {
  version: FhirVersionId;
  type: string;
  want: { name: string; paths: string[] }[] | undefined;
}[] = [
  {
    version: 'r4',
    type: 'Observation',
    want: [
      { name: 'subject', paths: ['subject'] },
      { name: 'performer', paths: ['performer'] },
    ],
  },
  { version: 'r4', type: 'Encounter', want: [{ name: 'patient', paths: ['subject'] }] },
  { version: 'r4', type: 'Patient', want: [{ name: 'link', paths: ['link.other'] }] },
  { version: 'r4', type: 'AuditEvent', want: [{ name: 'patient', paths: ['agent.who', 'entity.what'] }] },
  { version: 'r4', type: 'Group', want: [{ name: 'member', paths: ['member.entity'] }] },
  { version: 'r4', type: 'Task', want: undefined },
  // STU3's chained `agent.patient` and `entity.patient` name what a reference points at: left out.
  {
    version: 'stu3',
    type: 'AuditEvent',
    want: [{ name: 'patient', paths: ['agent.reference', 'entity.reference'] }],
  },
  { version: 'stu3', type: 'Provenance', want: [{ name: 'patient', paths: ['target'] }] },
  // DSTU2 paths come from the XPath of its parameters.
  { version: 'dstu2', type: 'Encounter', want: [{ name: 'patient', paths: ['patient'] }] },
  { version: 'dstu2', type: 'Practitioner', want: undefined },
];

describe('server facts: the patient compartment', function () {
  this.timeout(120_000);

  for (const { version, type, want } of CASES) {
    it(`${version} ${type}: ${want === undefined ? 'outside' : want.map((param) => param.name).join(', ')}`, async () => {
      const facts = versionFacts(await loadModel(version));
      assert.deepEqual(facts.patientCompartment.resources[type], want);
    });
  }

  it('names where the compartment came from', async () => {
    assert.equal(versionFacts(await loadModel('r4')).patientCompartment.source, 'definition');
    assert.equal(versionFacts(await loadModel('dstu2')).patientCompartment.source, 'reference-parameters');
  });
});
