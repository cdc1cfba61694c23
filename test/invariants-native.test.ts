/**
 * ele-1 and ext-1 run as JavaScript (src/runtime/invariants/native.ts): they must say what the published R4
 * expressions say through the engine, on object nodes (typed by their data type) and on primitives
 * (evaluated from their parent, where the engine knows the primitive's type and its `_name` object).
 */
import assert from 'node:assert/strict';
import * as fhirpath from 'fhirpath';
import { fhirpathModel } from '../src/invariants/index';
import { ele1Object, ele1Primitive, ext1 } from '../src/runtime/invariants/native';
import { loadExamples } from './schemas-support';

const model = fhirpathModel('r4');
const ELE_1 = 'hasValue() or (children().count() > id.count())';
const EXT_1 = 'extension.exists() != value.exists()';
const engine = (base: string, expression: string) => {
  const run = fhirpath.compile({ base, expression }, model);
  return (node: unknown) => (run(node) as unknown[])[0] === true;
};

/** Every Extension object of an example, at any depth. */
function extensions(json: unknown, found: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(json)) for (const item of json) extensions(item, found);
  else if (json !== null && typeof json === 'object') {
    for (const [key, value] of Object.entries(json)) {
      if ((key === 'extension' || key === 'modifierExtension') && Array.isArray(value)) found.push(...value);
      extensions(value, found);
    }
  }
  return found;
}

describe('ele-1 and ext-1 in JavaScript', function () {
  this.timeout(120_000);

  it('ele-1 on objects: as the engine says, for a CodeableConcept', () => {
    const viaEngine = engine('CodeableConcept', ELE_1);
    for (const node of [
      {},
      { id: 'a' },
      { text: 'x' },
      { id: 'a', text: 'x' },
      { extension: [{ url: 'u', valueString: 'v' }] },
    ]) {
      assert.equal(ele1Object(node), viaEngine(node), JSON.stringify(node));
    }
  });

  it('ele-1 on primitives: a value, or extensions in `_name`, as the engine says on Patient.birthDate', () => {
    const viaEngine = fhirpath.compile({ base: 'Patient', expression: `birthDate.all(${ELE_1})` }, model);
    const cases: [unknown, unknown][] = [
      ['1970-01-01', undefined],
      [undefined, { extension: [{ url: 'u', valueString: 'v' }] }],
      [undefined, { id: 'x' }],
      ['1970-01-01', { id: 'x' }],
    ];
    for (const [value, sibling] of cases) {
      const patient = { resourceType: 'Patient', birthDate: value, _birthDate: sibling };
      assert.equal(
        ele1Primitive(value, sibling),
        (viaEngine(patient) as unknown[])[0] === true,
        JSON.stringify(patient),
      );
    }
  });

  it('ext-1: as the engine says, on every extension of the R4 examples and on broken ones', async () => {
    const viaEngine = engine('Extension', EXT_1);
    const all = (await loadExamples('r4')).flatMap((example) => extensions(example.json));
    assert.ok(all.length > 300, `${all.length} extensions`);
    const broken = [
      { url: 'u' },
      { url: 'u', valueString: 'v', extension: [{ url: 'w', valueString: 'x' }] },
      { url: 'u', valueCodeableConcept: { text: 't' }, extension: [{ url: 'w', valueString: 'x' }] },
    ];
    for (const node of [...all, ...broken]) assert.equal(ext1(node), viaEngine(node), JSON.stringify(node));
    for (const node of broken) assert.equal(ext1(node), false);
  });
});
