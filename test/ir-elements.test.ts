import assert from 'node:assert/strict';
import { type BackboneType, buildModel, type Element, findType, type ResourceType } from '../src/ir';
import { backboneClassName, nameBackbones } from '../src/ir/backbone-names';
import type { RawStructureDefinition } from '../src/ir/raw';
import { splitDefinition } from '../src/ir/structures';
import {
  inlinePackage,
  type TinyElement,
  tinyComplexTypes,
  tinyDefinition,
  tinyPrimitives,
} from './support/models';

/** A model of the tiny base types plus one resource `Thing` with the given elements. */
function thing(elements: TinyElement[], extra: object[] = []) {
  const definition = tinyDefinition('Thing', elements, { base: 'DomainResource' });
  const model = buildModel(
    [inlinePackage([...tinyPrimitives(), ...tinyComplexTypes(), definition, ...extra])],
    'r4',
  );
  const type = findType(model, 'Thing') as ResourceType;
  return { model, type, element: (name: string) => type.elements.find((e) => e.name === name) as Element };
}

describe('IR pass "structures" and "backbone names"', () => {
  const definition = tinyDefinition('Patient', [
    { path: 'Patient.contact', max: '*', type: [{ code: 'BackboneElement' }] },
    { path: 'Patient.contact.name', type: [{ code: 'string' }] },
    { path: 'Patient.contact.name', sliceName: 'official', type: [{ code: 'string' }] },
    { path: 'Patient.contact.detail', type: [{ code: 'BackboneElement' }] },
    { path: 'Patient.contact.detail.text', type: [{ code: 'string' }] },
  ]) as RawStructureDefinition;

  it('splits a snapshot into the type and its backbones, leaving slices out', () => {
    const split = splitDefinition(definition);
    assert.deepEqual(
      split.root.children.map((e) => e.path),
      ['Patient.contact'],
    );
    assert.deepEqual(
      split.backbones.map((b) => b.path),
      ['Patient.contact', 'Patient.contact.detail'],
    );
    assert.deepEqual(
      split.backbones[0]?.children.map((e) => e.path),
      ['Patient.contact.name', 'Patient.contact.detail'],
    );
  });

  it('reads STU3 constraints, whose root is written as a slice (`Quantity:simplequantity`)', () => {
    const constraint = {
      resourceType: 'StructureDefinition',
      url: 'http://hl7.org/fhir/StructureDefinition/SimpleQuantity',
      name: 'SimpleQuantity',
      kind: 'complex-type',
      type: 'Quantity',
      derivation: 'constraint',
      snapshot: {
        element: [
          { id: 'Quantity:simplequantity', path: 'Quantity', sliceName: 'SimpleQuantity' },
          { id: 'Quantity:simplequantity.value', path: 'Quantity.value' },
          { id: 'Quantity:simplequantity.comparator', path: 'Quantity.comparator', max: '0' },
          { id: 'Quantity:simplequantity.extension:x', path: 'Quantity.extension', sliceName: 'x' },
        ],
      },
    } as RawStructureDefinition;
    const split = splitDefinition(constraint);
    assert.equal(split.name, 'SimpleQuantity');
    assert.deepEqual(
      split.root.children.map((e) => e.path),
      ['Quantity.value', 'Quantity.comparator'],
    );
  });

  it('names backbones after their owner and path in PascalCase', () => {
    const names = nameBackbones([splitDefinition(definition)], ['Patient']).get('Patient');
    assert.deepEqual(
      [...(names ?? [])],
      [
        ['Patient.contact', 'PatientContact'],
        ['Patient.contact.detail', 'PatientContactDetail'],
      ],
    );
    assert.equal(
      backboneClassName('SimpleQuantity', 'Quantity', 'Quantity.extra.part'),
      'SimpleQuantityExtraPart',
    );
  });

  it('resolves name collisions deterministically, whatever the input order', () => {
    const colliding = tinyDefinition('Foo', [
      { path: 'Foo.barBaz', type: [{ code: 'BackboneElement' }] },
      { path: 'Foo.barBaz.x', type: [{ code: 'string' }] },
      { path: 'Foo.bar', type: [{ code: 'BackboneElement' }] },
      { path: 'Foo.bar.baz', type: [{ code: 'BackboneElement' }] },
      { path: 'Foo.bar.baz.y', type: [{ code: 'string' }] },
    ]) as RawStructureDefinition;
    const taken = tinyDefinition('FooBar', [
      { path: 'FooBar.z', type: [{ code: 'string' }] },
    ]) as RawStructureDefinition;
    const splits = [splitDefinition(colliding), splitDefinition(taken)];
    const forward = nameBackbones(splits, ['Foo', 'FooBar']).get('Foo');
    const backward = nameBackbones([...splits].reverse(), ['FooBar', 'Foo']).get('Foo');
    assert.deepEqual([...(forward ?? [])].sort(), [
      ['Foo.bar', 'FooBarComponent'],
      ['Foo.bar.baz', 'FooBarBaz'],
      ['Foo.barBaz', 'FooBarBazComponent'],
    ]);
    assert.deepEqual([...(backward ?? [])].sort(), [...(forward ?? [])].sort());
  });
});

describe('IR pass "elements"', () => {
  it('keeps cardinality, flags, short text, fixed and pattern values', () => {
    const { element } = thing([
      {
        path: 'Thing.status',
        min: 1,
        max: '1',
        type: [{ code: 'code' }],
        isModifier: true,
        isSummary: true,
        short: 'active | inactive',
      },
      { path: 'Thing.kind', type: [{ code: 'code' }], fixedCode: 'special', patternString: 'x' },
      { path: 'Thing.note', max: '*', type: [{ code: 'string' }] },
    ]);
    const status = element('status');
    assert.equal(status.min, 1);
    assert.equal(status.max, 1);
    assert.equal(status.isModifier, true);
    assert.equal(status.isSummary, true);
    assert.equal(status.short, 'active | inactive');
    assert.deepEqual(status.type, { kind: 'primitive', name: 'code' });
    assert.equal(element('kind').fixed, 'special');
    assert.equal(element('kind').pattern, 'x');
    assert.equal(element('kind').isModifier, false);
    assert.equal(element('note').max, '*');
  });

  it("makes an element an array from its base cardinality, not a profile's", () => {
    const { element } = thing([
      {
        path: 'Thing.single',
        max: '1',
        base: { path: 'Thing.single', min: 0, max: '*' },
        type: [{ code: 'string' }],
      },
      { path: 'Thing.many', max: '3', type: [{ code: 'string' }] },
      { path: 'Thing.one', max: '1', type: [{ code: 'string' }] },
    ]);
    assert.equal(element('single').isArray, true);
    assert.equal(element('many').isArray, true);
    assert.equal(element('one').isArray, false);
  });

  it('includes inherited elements that the snapshot repeats', () => {
    const { type } = thing([
      { path: 'Thing.id', type: [{ code: 'string' }] },
      { path: 'Thing.own', type: [{ code: 'string' }] },
    ]);
    assert.deepEqual(
      type.elements.map((e) => e.name),
      ['id', 'own'],
    );
    assert.equal(type.base, 'DomainResource');
  });

  it("merges repeated Reference entries (STU3) and reads target profiles in every version's form", () => {
    const profile = (name: string) => `http://hl7.org/fhir/StructureDefinition/${name}`;
    const { element } = thing([
      {
        path: 'Thing.stu3',
        type: [
          { code: 'Reference', targetProfile: profile('Patient') },
          { code: 'Reference', targetProfile: profile('Group') },
        ],
      },
      {
        path: 'Thing.r4',
        type: [{ code: 'Reference', targetProfile: [profile('Patient'), `${profile('Group')}|4.0.1`] }],
      },
      {
        path: 'Thing.dstu2',
        type: [
          { code: 'Reference', profile: [profile('Patient')] },
          { code: 'Reference', profile: [profile('Group')] },
        ],
      },
    ]);
    const want = {
      kind: 'complex',
      name: 'Reference',
      targetProfiles: [profile('Patient'), profile('Group')],
    };
    assert.deepEqual(element('stu3').type, want);
    assert.deepEqual(element('r4').type, want);
    assert.deepEqual(element('dstu2').type, want);
  });

  it('keeps the target profiles of R4 canonical (primitive) elements', () => {
    const { element } = thing([
      {
        path: 'Thing.source',
        type: [{ code: 'uri', targetProfile: ['http://hl7.org/fhir/StructureDefinition/Questionnaire'] }],
      },
    ]);
    assert.deepEqual(element('source').type, {
      kind: 'primitive',
      name: 'uri',
      targetProfiles: ['http://hl7.org/fhir/StructureDefinition/Questionnaire'],
    });
  });

  it('types a Quantity profiled as a constraint type of the model as that type', () => {
    const { element } = thing([
      {
        path: 'Thing.dose',
        type: [{ code: 'Quantity', profile: 'http://hl7.org/fhir/StructureDefinition/SimpleQuantity' }],
      },
      { path: 'Thing.amount', type: [{ code: 'Quantity' }] },
    ]);
    assert.deepEqual(element('dose').type, {
      kind: 'complex',
      name: 'SimpleQuantity',
      profiles: ['http://hl7.org/fhir/StructureDefinition/SimpleQuantity'],
    });
    assert.deepEqual(element('amount').type, { kind: 'complex', name: 'Quantity' });
  });

  it('types resource elements as resources', () => {
    const { element } = thing([{ path: 'Thing.contained', max: '*', type: [{ code: 'Resource' }] }]);
    assert.deepEqual(element('contained').type, { kind: 'resource', name: 'Resource' });
  });

  it('expands a choice into one element per type and a choice group', () => {
    const { type, element } = thing([
      {
        path: 'Thing.value[x]',
        min: 1,
        type: [{ code: 'Quantity' }, { code: 'string' }, { code: 'boolean' }],
        binding: { strength: 'required', valueSet: 'http://hl7.org/fhir/ValueSet/x' },
      },
    ]);
    assert.deepEqual(type.choices, [
      {
        name: 'value',
        path: 'Thing.value[x]',
        min: 1,
        variants: ['valueQuantity', 'valueString', 'valueBoolean'],
      },
    ]);
    const variant = element('valueString');
    assert.equal(variant.min, 0, 'one variant alone is never required; the group is');
    assert.deepEqual(variant.choice, { group: 'value', path: 'Thing.value[x]' });
    assert.deepEqual(variant.type, { kind: 'primitive', name: 'string' });
    assert.equal(variant.path, 'Thing.value[x]');
    assert.equal(element('value'), undefined);
  });

  it('expands the DSTU2/STU3 type `*` to the open types that Extension.value[x] lists', () => {
    const { element } = thing([{ path: 'Thing.default[x]', type: [{ code: '*' }] }]);
    assert.deepEqual(
      ['defaultString', 'defaultBoolean', 'defaultQuantity'].map((name) => element(name)?.type.name),
      ['string', 'boolean', 'Quantity'],
    );
  });

  it('types backbone elements as their backbone class, and nested ones too', () => {
    const { type, element } = thing([
      { path: 'Thing.part', max: '*', type: [{ code: 'BackboneElement' }] },
      { path: 'Thing.part.label', type: [{ code: 'string' }] },
      { path: 'Thing.part.sub', type: [{ code: 'Element' }] },
      { path: 'Thing.part.sub.flag', type: [{ code: 'boolean' }] },
    ]);
    assert.deepEqual(element('part').type, { kind: 'backbone', name: 'ThingPart' });
    const part = type.backbones.find((b) => b.name === 'ThingPart') as BackboneType;
    assert.equal(part.owner, 'Thing');
    assert.equal(part.path, 'Thing.part');
    assert.deepEqual(
      part.elements.map((e) => [e.name, e.type.name]),
      [
        ['label', 'string'],
        ['sub', 'ThingPartSub'],
      ],
    );
    assert.deepEqual(
      type.backbones.map((b) => b.name),
      ['ThingPart', 'ThingPartSub'],
    );
  });

  it('resolves STU3/R4 contentReference and DSTU2 nameReference to the referenced backbone', () => {
    const { type } = thing([
      { path: 'Thing.item', max: '*', type: [{ code: 'BackboneElement' }], name: 'item' },
      { path: 'Thing.item.text', type: [{ code: 'string' }] },
      { path: 'Thing.item.item', max: '*', contentReference: '#Thing.item' },
      { path: 'Thing.item.again', max: '*', nameReference: 'item' },
    ]);
    const item = type.backbones.find((b) => b.name === 'ThingItem') as BackboneType;
    for (const name of ['item', 'again']) {
      const element = item.elements.find((e) => e.name === name) as Element;
      assert.deepEqual(element.type, { kind: 'backbone', name: 'ThingItem' });
      assert.equal(element.contentReference, 'Thing.item');
    }
  });

  it('fails with the element path when an element has no type and no content reference', () => {
    assert.throws(
      () => thing([{ path: 'Thing.broken' }]),
      (error: { code: string; location: string }) => {
        assert.equal(error.code, 'INVALID_DEFINITION');
        assert.match(error.location, /Thing\.broken/);
        return true;
      },
    );
  });

  it('fails when an element names a type the packages do not define', () => {
    assert.throws(() => thing([{ path: 'Thing.odd', type: [{ code: 'Nonexistent' }] }]), {
      code: 'UNKNOWN_TYPE',
    });
  });

  it('fails when a content reference points nowhere', () => {
    assert.throws(() => thing([{ path: 'Thing.loop', contentReference: '#Thing.missing' }]), {
      code: 'INVALID_DEFINITION',
    });
  });
});

describe('IR determinism', () => {
  it('builds the same model whatever the order of the resources in the package', () => {
    const resources = [
      ...tinyPrimitives(),
      ...tinyComplexTypes(),
      tinyDefinition('Zed', [{ path: 'Zed.a', type: [{ code: 'string' }] }], { base: 'DomainResource' }),
      tinyDefinition(
        'Alpha',
        [
          { path: 'Alpha.b', type: [{ code: 'BackboneElement' }] },
          { path: 'Alpha.b.c', type: [{ code: 'string' }] },
        ],
        { base: 'DomainResource' },
      ),
    ];
    const forward = JSON.stringify(buildModel([inlinePackage(resources)], 'r4'));
    const backward = JSON.stringify(buildModel([inlinePackage([...resources].reverse())], 'r4'));
    assert.equal(backward, forward);
    const model = JSON.parse(forward) as { resources: { name: string }[] };
    assert.deepEqual(
      model.resources.map((r) => r.name),
      ['Alpha', 'DomainResource', 'Resource', 'Zed'],
    );
  });

  it('refuses packages of another FHIR version', () => {
    assert.throws(() => buildModel([inlinePackage(tinyPrimitives(), '3.0.1')], 'r4'), {
      code: 'UNKNOWN_FHIR_VERSION',
    });
  });
});
