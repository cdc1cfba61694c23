import assert from 'node:assert/strict';
import { buildModel, findType } from '../src/ir';
import { collectTypeDefinitions, typeNameOf } from '../src/ir/collect';
import { indexDefinitions } from '../src/ir/definition-index';
import { buildPrimitives } from '../src/ir/primitives';
import type { RawStructureDefinition } from '../src/ir/raw';
import { normaliseTypeCode } from '../src/ir/type-codes';
import { inlinePackage, tinyComplexTypes, tinyDefinition, tinyPrimitives } from './support/models';

const names = (definitions: RawStructureDefinition[]) => definitions.map(typeNameOf).sort();

describe('IR pass "collect types"', () => {
  it('keeps specializations and the constraint types elements use, and drops profiles, extensions and logical models', () => {
    const resources = [
      ...tinyPrimitives(),
      ...tinyComplexTypes(),
      tinyDefinition(
        'Thing',
        [
          {
            path: 'Thing.amount',
            type: [{ code: 'Quantity', profile: ['http://hl7.org/fhir/StructureDefinition/SimpleQuantity'] }],
          },
        ],
        { base: 'DomainResource' },
      ),
      tinyDefinition('ThingProfile', [], { derivation: 'constraint', type: 'Thing', base: 'Thing' }),
      tinyDefinition('my-extension', [], {
        kind: 'complex-type',
        derivation: 'constraint',
        type: 'Extension',
        base: 'Extension',
      }),
      tinyDefinition('Unused', [], {
        kind: 'complex-type',
        derivation: 'constraint',
        type: 'Quantity',
        base: 'Quantity',
      }),
      tinyDefinition('Request', [], { kind: 'logical' }),
    ];
    const collected = collectTypeDefinitions(indexDefinitions([inlinePackage(resources)]));
    assert.deepEqual(names(collected.resources), ['DomainResource', 'Resource', 'Thing']);
    assert.deepEqual(names(collected.complexTypes), [
      'BackboneElement',
      'Element',
      'Extension',
      'Quantity',
      'Reference',
      'SimpleQuantity',
    ]);
    assert.deepEqual(names(collected.primitives), [
      'boolean',
      'code',
      'decimal',
      'integer',
      'positiveInt',
      'string',
      'uri',
    ]);
  });

  it('reads DSTU2 definitions: one `datatype` kind, primitives in lower case, constraints by `constrainedType`', () => {
    const dstu2 = (name: string, extra: object) => ({
      resourceType: 'StructureDefinition',
      url: `http://hl7.org/fhir/StructureDefinition/${name}`,
      name,
      kind: 'datatype',
      snapshot: { element: [{ path: name }] },
      ...extra,
    });
    const resources = [
      dstu2('string', {}),
      dstu2('code', { constrainedType: 'string', base: 'http://hl7.org/fhir/StructureDefinition/string' }),
      dstu2('Quantity', {}),
      dstu2('Age', { constrainedType: 'Quantity' }),
      dstu2('Count', { constrainedType: 'Quantity' }),
      {
        ...dstu2('Patient', { kind: 'resource' }),
        snapshot: { element: [{ path: 'Patient' }, { path: 'Patient.age', type: [{ code: 'Age' }] }] },
      },
    ];
    const collected = collectTypeDefinitions(indexDefinitions([inlinePackage(resources, '1.0.2')]));
    assert.deepEqual(names(collected.primitives), ['code', 'string']);
    assert.deepEqual(names(collected.complexTypes), ['Age', 'Quantity'], 'Count is not used by any element');
  });

  it('fails clearly when the packages define no resource', () => {
    assert.throws(() => collectTypeDefinitions(indexDefinitions([inlinePackage(tinyPrimitives())])), {
      code: 'INVALID_DEFINITION',
    });
  });
});

describe('IR pass "primitives"', () => {
  const build = (resources: object[]) => {
    const collected = collectTypeDefinitions(
      indexDefinitions([inlinePackage([...resources, ...tinyComplexTypes()])]),
    );
    return new Map(buildPrimitives(collected.primitives).map((primitive) => [primitive.name, primitive]));
  };

  it('takes R4 JSON types from the FHIRPath system type and regexes from the `regex` extension', () => {
    const primitives = build(tinyPrimitives());
    assert.equal(primitives.get('string')?.jsonType, 'string');
    assert.equal(primitives.get('boolean')?.jsonType, 'boolean');
    assert.equal(primitives.get('decimal')?.jsonType, 'number');
    assert.equal(primitives.get('integer')?.jsonType, 'integer');
    assert.equal(primitives.get('code')?.regex, '[^\\s]+(\\s[^\\s]+)*');
    assert.equal(primitives.get('code')?.base, 'string');
    assert.equal(primitives.get('string')?.base, undefined);
  });

  it('gives a derived primitive the JSON type and bounds of its root (R4 types positiveInt values as System.String)', () => {
    const positiveInt = build(tinyPrimitives()).get('positiveInt');
    assert.equal(positiveInt?.jsonType, 'integer');
    assert.equal(positiveInt?.minValue, 1);
    assert.equal(positiveInt?.maxValue, 2147483647);
    assert.equal(positiveInt?.regex, '[1-9][0-9]*');
  });

  it('reads DSTU2/STU3 JSON types from `structuredefinition-json-type`, DSTU2 booleans as `true | false`', () => {
    const jsonType = (name: string, json: string, xml: string, regex?: string) => ({
      resourceType: 'StructureDefinition',
      url: `http://hl7.org/fhir/StructureDefinition/${name}`,
      name,
      kind: 'datatype',
      snapshot: {
        element: [
          { path: name },
          {
            path: `${name}.value`,
            type: [
              {
                ...(regex
                  ? {
                      extension: [
                        {
                          url: 'http://hl7.org/fhir/StructureDefinition/structuredefinition-regex',
                          valueString: regex,
                        },
                      ],
                    }
                  : {}),
                _code: {
                  extension: [
                    {
                      url: 'http://hl7.org/fhir/StructureDefinition/structuredefinition-json-type',
                      valueString: json,
                    },
                    {
                      url: 'http://hl7.org/fhir/StructureDefinition/structuredefinition-xml-type',
                      valueString: xml,
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    });
    const primitives = build([
      jsonType('boolean', 'true | false', 'boolean'),
      jsonType('integer', 'number', 'int', '-?([0]|([1-9][0-9]*))'),
      jsonType('decimal', 'number', 'decimal'),
      jsonType('string', 'string', 'xs:string'),
      tinyDefinition('Thing', [], {}),
    ]);
    assert.equal(primitives.get('boolean')?.jsonType, 'boolean');
    assert.equal(primitives.get('integer')?.jsonType, 'integer');
    assert.equal(primitives.get('integer')?.regex, '-?([0]|([1-9][0-9]*))');
    assert.equal(primitives.get('decimal')?.jsonType, 'number');
    assert.equal(primitives.get('string')?.regex, undefined);
  });
});

describe('IR pass "primitives" with regexes from the specification text', () => {
  it("uses a regex from the text where the definition states none, and the definition's own otherwise", () => {
    const instant = tinyDefinition(
      'instant',
      [{ path: 'instant.value', type: [{ code: 'http://hl7.org/fhirpath/System.DateTime' }] }],
      { kind: 'primitive-type', base: 'Element' },
    );
    const resources = [...tinyPrimitives(), instant, ...tinyComplexTypes()];
    const collected = collectTypeDefinitions(indexDefinitions([inlinePackage(resources)]));
    const regexes = { instant: '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z', string: '.+' };
    const built = new Map(buildPrimitives(collected.primitives, regexes).map((p) => [p.name, p]));
    assert.equal(built.get('instant')?.regex, regexes.instant);
    assert.equal(built.get('string')?.regex, '[ \\r\\n\\t\\S]+');
    assert.equal(buildPrimitives(collected.primitives).find((p) => p.name === 'instant')?.regex, undefined);
  });
});

describe('IR type codes', () => {
  it('normalises R4 FHIRPath system type codes through their fhir-type extension', () => {
    const fhirType = (valueUrl: string) => [
      { url: 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type', valueUrl },
    ];
    assert.equal(
      normaliseTypeCode({ code: 'http://hl7.org/fhirpath/System.String', extension: fhirType('uri') }),
      'uri',
    );
    assert.equal(normaliseTypeCode({ code: 'http://hl7.org/fhirpath/System.String' }), 'string');
    assert.equal(normaliseTypeCode({ code: 'http://hl7.org/fhirpath/System.Boolean' }), 'boolean');
    assert.equal(normaliseTypeCode({ code: 'HumanName' }), 'HumanName');
    assert.equal(normaliseTypeCode({}), undefined);
  });
});

describe('IR model of tiny definitions', () => {
  it('types Element.id written as System.String as the string primitive', () => {
    const element = tinyDefinition(
      'Element',
      [
        {
          path: 'Element.id',
          type: [
            {
              code: 'http://hl7.org/fhirpath/System.String',
              extension: [
                {
                  url: 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type',
                  valueUrl: 'string',
                },
              ],
            },
          ],
        },
      ],
      { kind: 'complex-type', abstract: true },
    );
    const others = tinyComplexTypes().filter(
      (definition) => (definition as { name: string }).name !== 'Element',
    );
    const model = buildModel([inlinePackage([...tinyPrimitives(), element, ...others])], 'r4');
    const type = findType(model, 'Element');
    assert.equal(type?.kind, 'complex-type');
    assert.deepEqual(type?.kind === 'complex-type' ? type.elements[0]?.type : undefined, {
      kind: 'primitive',
      name: 'string',
    });
  });
});
