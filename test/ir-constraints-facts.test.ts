/**
 * Constraint facts of the real core packages (../shared/fhir), and the check of every DSTU2 reuse of
 * an STU3 expression: same key, same path, STU3's expression as published, same XPath.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { readPackageArchive } from '../src/definitions/package';
import { constraintCounts } from '../src/ir/constraints';
import { DSTU2_REUSED_EXPRESSIONS, DSTU2_UNCHECKED } from '../src/ir/dstu2-constraints';
import type { RawStructureDefinition } from '../src/ir/raw';
import type { Constraint, FhirModel, FhirVersionId } from '../src/ir/types';
import { CORE_ARCHIVES, loadModel, SHARED_FHIR_DIR } from './support/models';

const has = (model: FhirModel, owner: string, key: string, at: string): Constraint => {
  const found = model.constraints.find((c) => c.owner === owner && c.key === key && c.path === at);
  assert.ok(found, `${model.version.label} has ${key} on ${at} in ${owner}`);
  return found;
};

/** Published constraint counts: every snapshot element of every type the model holds. */
const COUNTS: Record<FhirVersionId, ReturnType<typeof constraintCounts>> = {
  r4: { total: 8934, checked: 8934, unchecked: {} },
  stu3: { total: 1037, checked: 1037, unchecked: {} },
  dstu2: { total: 151, checked: 80, unchecked: { 'stu3-meaning-differs': 24, 'no-stu3-counterpart': 47 } },
};

describe('IR constraint facts on the core packages', function () {
  this.timeout(120000);

  for (const version of ['r4', 'stu3', 'dstu2'] as const) {
    it(`${version}: carries every constraint, checked or not by reason`, async () => {
      const model = await loadModel(version);
      assert.deepEqual(constraintCounts(model), COUNTS[version]);
      const obs6 = has(model, 'Observation', 'obs-6', 'Observation');
      assert.equal(obs6.severity, 'error');
      assert.match(obs6.human, /SHALL only be present if Observation\.value\[x\] is not present/);
      assert.ok(obs6.expression?.includes('dataAbsentReason.empty()'));
      has(model, 'Patient', 'pat-1', 'Patient.contact');
      has(model, 'Period', 'per-1', 'Period');
      has(model, 'Reference', 'ref-1', 'Reference');
      has(model, 'Quantity', 'qty-3', 'Quantity');
      has(model, 'SimpleQuantity', 'sqty-1', 'SimpleQuantity');
      has(model, 'Element', 'ele-1', 'Element');
      has(model, 'Bundle', 'bdl-1', 'Bundle');
    });
  }

  it('r4: dom-2..dom-6 on every resource, ele-1 on every element, ext-1 on every extension', async () => {
    const model = await loadModel('r4');
    for (const key of ['dom-2', 'dom-3', 'dom-4', 'dom-5', 'dom-6'])
      has(model, 'Observation', key, 'Observation');
    has(model, 'Observation', 'ele-1', 'Observation.component');
    has(model, 'Observation', 'ext-1', 'Observation.component.modifierExtension');
    assert.equal(has(model, 'Observation', 'dom-6', 'Observation').severity, 'warning');
    const resources = model.resources.filter((r) => r.base === 'DomainResource').length;
    assert.equal(model.constraints.filter((c) => c.key === 'dom-2').length, resources + 1);
  });

  it('stu3: dom-1..dom-4 on resources, the ele-1 union fixed; dstu2: dom-* on DomainResource, through STU3', async () => {
    const stu3 = await loadModel('stu3');
    for (const key of ['dom-1', 'dom-2', 'dom-3', 'dom-4']) has(stu3, 'Observation', key, 'Observation');
    const ele1 = has(stu3, 'Element', 'ele-1', 'Element');
    assert.equal(ele1.expressionSource, 'fixed');
    const dstu2 = await loadModel('dstu2');
    for (const key of ['dom-1', 'dom-2', 'dom-3', 'dom-4']) {
      assert.equal(has(dstu2, 'DomainResource', key, 'DomainResource').expressionSource, 'stu3');
    }
    const obs7 = has(dstu2, 'Observation', 'obs-7', 'Observation');
    assert.equal(obs7.unchecked, 'stu3-meaning-differs');
    assert.equal(obs7.expression, undefined);
  });

  it('dstu2: each reused expression is STU3s for the same key and path, with the same XPath', async () => {
    const read = async (version: 'dstu2' | 'stu3') => {
      const pkg = await readPackageArchive(path.join(SHARED_FHIR_DIR, CORE_ARCHIVES[version]));
      const byId = new Map<string, { xpath?: string; expression?: string }>();
      for (const resource of pkg.resources) {
        if (resource.resourceType !== 'StructureDefinition') continue;
        const definition = resource as unknown as RawStructureDefinition;
        for (const element of definition.snapshot?.element ?? []) {
          const at = [definition.name, ...element.path.split('.').slice(1)].join('.');
          for (const c of element.constraint ?? []) byId.set(`${c.key}@${at}`, c);
        }
      }
      return byId;
    };
    const [dstu2, stu3] = [await read('dstu2'), await read('stu3')];
    const spaced = (xpath = '') => xpath.replace(/\s+/g, ' ').trim();
    // The two whose XPath STU3 spells with exists(): same meaning, checked by hand (dstu2-constraints.ts).
    const rewritten = new Set(['bdl-5@Bundle.entry', 'pat-1@Patient.contact']);
    for (const [id, expression] of Object.entries(DSTU2_REUSED_EXPRESSIONS)) {
      const [old, next] = [dstu2.get(id), stu3.get(id)];
      assert.ok(old && next, `${id} is in both DSTU2 and STU3`);
      assert.equal(next.expression, expression, id);
      if (!rewritten.has(id)) assert.equal(spaced(old.xpath), spaced(next.xpath), id);
      assert.equal(id in DSTU2_UNCHECKED, false, id);
    }
    for (const [id, reason] of Object.entries(DSTU2_UNCHECKED)) {
      assert.ok(dstu2.has(id), `${id} is a DSTU2 constraint`);
      const next = stu3.get(id);
      if (reason === 'no-stu3-counterpart') assert.equal(next, undefined, id);
      else if (!rewritten.has(id)) assert.notEqual(spaced(next?.xpath), spaced(dstu2.get(id)?.xpath), id);
    }
  });
});
