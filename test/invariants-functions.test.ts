/**
 * The FHIRPath functions and variables core invariants need, on the R4 evaluator with test rules:
 * resolve() within the resource, its contained resources and the Bundle (never the network),
 * %resource/%rootResource, htmlChecks() (and the txt-1 constraint itself), memberOf() over an
 * expanded required ValueSet, conformsTo().
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { InvariantData } from '../src/emit/invariants/data';
import { fhirpathModel, InvariantEvaluator } from '../src/invariants/index';
import { loadEvaluator } from './invariants-support';
import { loadValidator } from './schemas-support';

const R4 = path.join(__dirname, '..', 'generated', 'r4');
const data = JSON.parse(
  readFileSync(path.join(R4, 'invariants', 'invariants.json'), 'utf8'),
) as InvariantData;
const valueSets = JSON.parse(readFileSync(path.join(R4, 'server', 'value-sets.json'), 'utf8')) as Record<
  string,
  string[]
>;

/** An evaluator whose only constraints are `rules`, each on `owner` at `at`. */
async function only(rules: { at: [string, string]; expression: string }[]): Promise<InvariantEvaluator> {
  const validator = await loadValidator('r4');
  const constraints: InvariantData['constraints'] = {};
  const list = rules.map(({ expression }, i) => ({
    key: `t-${i}`,
    severity: 'error' as const,
    human: expression,
    expression,
  }));
  rules.forEach(({ at: [owner, element] }, i) => {
    constraints[owner] = { ...constraints[owner], [element]: [...(constraints[owner]?.[element] ?? []), i] };
  });
  return new InvariantEvaluator(
    { ...data, rules: list, constraints },
    { model: fhirpathModel('r4'), valueSets, validate: (resource) => validator.isValid(resource) },
  );
}

const broken = (evaluator: InvariantEvaluator, json: unknown) =>
  evaluator
    .check(json)
    .map((violation) => `${violation.key}@${violation.location}${violation.failure ?? ''}`);

const observation = (extra: object) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { text: 'x' },
  ...extra,
});

describe('invariant functions and variables', function () {
  this.timeout(60_000);

  it('resolve(): a #id reference finds the contained resource, with its type', async () => {
    const evaluator = await only([
      { at: ['Observation', 'Observation'], expression: 'subject.resolve() is Patient' },
      { at: ['Observation', 'Observation'], expression: "subject.resolve().gender = 'female'" },
      { at: ['Observation', 'Observation'], expression: 'subject.resolve().exists()' },
    ]);
    const ok = observation({
      contained: [{ resourceType: 'Patient', id: 'p', gender: 'female' }],
      subject: { reference: '#p' },
    });
    assert.deepEqual(broken(evaluator, ok), []);
    const group = observation({
      contained: [{ resourceType: 'Group', id: 'p', type: 'person', actual: true }],
      subject: { reference: '#p' },
    });
    assert.deepEqual(broken(evaluator, group), ['t-0@Observation']);
    // Nothing contained under that id: nothing resolved, and the network is never asked.
    const absent = observation({ subject: { reference: '#q' } });
    assert.deepEqual(broken(evaluator, absent), ['t-2@Observation']);
  });

  it('resolve(): inside a Bundle, by fullUrl (urn:uuid and absolute) and by Type/id', async () => {
    const evaluator = await only([
      { at: ['Observation', 'Observation'], expression: 'subject.resolve().ofType(Patient).exists()' },
    ]);
    const bundle = (reference: string, fullUrl: string) => ({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { fullUrl, resource: { resourceType: 'Patient', id: 'p1' } },
        { fullUrl: 'urn:uuid:2', resource: observation({ subject: { reference } }) },
      ],
    });
    assert.deepEqual(
      broken(
        evaluator,
        bundle(
          'urn:uuid:0c3fa1b2-0000-4000-8000-000000000001',
          'urn:uuid:0c3fa1b2-0000-4000-8000-000000000001',
        ),
      ),
      [],
    );
    assert.deepEqual(
      broken(evaluator, bundle('http://example.org/fhir/Patient/p1', 'http://example.org/fhir/Patient/p1')),
      [],
    );
    assert.deepEqual(broken(evaluator, bundle('Patient/p1', 'http://example.org/fhir/Patient/p1')), []);
    assert.deepEqual(broken(evaluator, bundle('Patient/p2', 'http://example.org/fhir/Patient/p1')), [
      't-0@Bundle.entry[1].resource',
    ]);
  });

  it('%resource is the contained resource, %rootResource its container; a Bundle entry is its own root', async () => {
    const evaluator = await only([
      { at: ['Patient', 'Patient'], expression: "%resource.resourceType = 'Patient'" },
      { at: ['Patient', 'Patient'], expression: "%rootResource.resourceType = 'Observation'" },
    ]);
    const contained = observation({
      contained: [{ resourceType: 'Patient', id: 'p' }],
      subject: { reference: '#p' },
    });
    assert.deepEqual(broken(evaluator, contained), []);
    const entry = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ fullUrl: 'urn:uuid:1', resource: { resourceType: 'Patient' } }],
    };
    assert.deepEqual(broken(evaluator, entry), ['t-1@Bundle.entry[0].resource']);
  });

  it('htmlChecks(): R4 txt-1 accepts a plain narrative and rejects scripts, event attributes and unknown elements', async () => {
    const evaluator = await loadEvaluator('r4');
    const withDiv = (div: string) => observation({ text: { status: 'generated', div } });
    const keys = (div: string) =>
      evaluator
        .check(withDiv(div))
        .filter((v) => v.severity === 'error')
        .map((v) => `${v.key}@${v.location}`);
    const xhtml = (body: string) => `<div xmlns="http://www.w3.org/1999/xhtml">${body}</div>`;
    assert.deepEqual(keys(xhtml('<p>Weight <b>70</b> kg</p><a href="http://example.org">more</a>')), []);
    const bad = ['txt-1@Observation.text.div', 'txt-2@Observation.text.div'];
    assert.deepEqual(keys(xhtml('<p>x</p><script>alert(1)</script>')), bad);
    assert.deepEqual(keys(xhtml('<p onclick="alert(1)">x</p>')), bad);
    assert.deepEqual(keys(xhtml('<p>x</p><iframe src="http://example.org"></iframe>')), bad);
  });

  it('memberOf(): a code, Coding or CodeableConcept against an expanded required ValueSet', async () => {
    const gender = 'http://hl7.org/fhir/ValueSet/administrative-gender';
    const evaluator = await only([
      { at: ['Patient', 'Patient'], expression: `gender.memberOf('${gender}')` },
      { at: ['Patient', 'Patient'], expression: `maritalStatus.memberOf('${gender}')` },
      { at: ['Patient', 'Patient'], expression: `maritalStatus.coding.first().memberOf('${gender}')` },
    ]);
    const coded = (system: string, code: string) => ({
      coding: [
        { system: 'http://example.org/other', code: 'z' },
        { system, code },
      ],
    });
    const system = 'http://hl7.org/fhir/administrative-gender';
    assert.deepEqual(
      broken(evaluator, { resourceType: 'Patient', gender: 'female', maritalStatus: coded(system, 'male') }),
      ['t-2@Patient'],
    );
    assert.deepEqual(
      broken(evaluator, { resourceType: 'Patient', gender: 'robot', maritalStatus: coded(system, 'robot') }),
      ['t-0@Patient', 't-1@Patient', 't-2@Patient'],
    );
  });

  it('conformsTo(): of the type (or a specialisation) named and structurally valid', async () => {
    const evaluator = await only([
      {
        at: ['Observation', 'Observation'],
        expression: "contained.first().conformsTo('http://hl7.org/fhir/StructureDefinition/Patient')",
      },
      {
        at: ['Observation', 'Observation'],
        expression: "contained.first().conformsTo('http://hl7.org/fhir/StructureDefinition/DomainResource')",
      },
    ]);
    const withContained = (resource: object) => observation({ contained: [resource] });
    assert.deepEqual(
      broken(evaluator, withContained({ resourceType: 'Patient', id: 'p', gender: 'male' })),
      [],
    );
    assert.deepEqual(
      broken(evaluator, withContained({ resourceType: 'Patient', id: 'p', gender: 'robot' })),
      ['t-0@Observation', 't-1@Observation'],
    );
    assert.deepEqual(
      broken(evaluator, withContained({ resourceType: 'Group', id: 'g', type: 'person', actual: true })),
      ['t-0@Observation'],
    );
  });
});
