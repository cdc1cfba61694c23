import assert from 'node:assert/strict';
import { buildModel, findType } from '../src/ir';
import { normaliseBinding } from '../src/ir/bindings';
import { indexDefinitions } from '../src/ir/definition-index';
import { EXTERNAL_CODE_SYSTEMS } from '../src/ir/external-code-systems';
import { createExpander } from '../src/ir/valueset-expansion';
import { inlinePackage, tinyComplexTypes, tinyDefinition, tinyPrimitives } from './support/models';

const VS = 'http://example.org/ValueSet/';
const CS = 'http://example.org/CodeSystem/';

describe('IR binding normalisation', () => {
  it("reads the ValueSet of every version's binding shape, without its version", () => {
    assert.deepEqual(normaliseBinding({ strength: 'required', valueSet: `${VS}a|4.0.1`, description: 'd' }), {
      strength: 'required',
      valueSet: `${VS}a`,
      description: 'd',
    });
    assert.deepEqual(
      normaliseBinding({ strength: 'extensible', valueSetReference: { reference: `${VS}b` } }),
      {
        strength: 'extensible',
        valueSet: `${VS}b`,
      },
    );
    assert.deepEqual(
      normaliseBinding({ strength: 'example', valueSetUri: 'http://tools.ietf.org/html/bcp47' }),
      {
        strength: 'example',
        valueSet: 'http://tools.ietf.org/html/bcp47',
      },
    );
    assert.equal(normaliseBinding({ strength: 'bogus' }), undefined);
  });

  it('corrects the STU3 binding that links a web page instead of the request-intent ValueSet', () => {
    const binding = normaliseBinding({
      strength: 'required',
      valueSetReference: { reference: 'http://build.fhir.org/valueset-request-intent.html' },
    });
    assert.equal(binding?.valueSet, 'http://hl7.org/fhir/ValueSet/request-intent');
  });
});

describe('IR ValueSet expansion', () => {
  const codeSystem = (name: string, concept: object[], content = 'complete') => ({
    resourceType: 'CodeSystem',
    url: `${CS}${name}`,
    content,
    concept,
  });
  const valueSet = (name: string, body: object) => ({
    resourceType: 'ValueSet',
    url: `${VS}${name}`,
    ...body,
  });
  /** The expansion's distinct codes (or why there are none); the members with their systems are checked apart. */
  const expander = (resources: object[]) => {
    const expand = createExpander(indexDefinitions([inlinePackage(resources)]));
    return (url: string) => {
      const expansion = expand(url);
      return 'codes' in expansion ? { codes: expansion.codes } : expansion;
    };
  };

  const hierarchy = codeSystem('animals', [
    {
      code: 'animal',
      property: [{ code: 'notSelectable', valueBoolean: true }],
      concept: [{ code: 'dog', concept: [{ code: 'puppy' }] }, { code: 'cat' }],
    },
    { code: 'rock' },
  ]);

  it('includes a whole code system, nested concepts too, but not abstract ones', () => {
    const expand = expander([
      hierarchy,
      valueSet('all', { compose: { include: [{ system: `${CS}animals` }] } }),
    ]);
    assert.deepEqual(expand(`${VS}all`), { codes: ['dog', 'puppy', 'cat', 'rock'] });
  });

  it('includes listed concepts, applies is-a filters and excludes', () => {
    const expand = expander([
      hierarchy,
      valueSet('listed', {
        compose: { include: [{ system: `${CS}animals`, concept: [{ code: 'cat' }, { code: 'rock' }] }] },
      }),
      valueSet('dogs', {
        compose: {
          include: [{ system: `${CS}animals`, filter: [{ property: 'concept', op: 'is-a', value: 'dog' }] }],
        },
      }),
      valueSet('no-puppies', {
        compose: {
          include: [
            {
              system: `${CS}animals`,
              filter: [{ property: 'concept', op: 'descendent-of', value: 'animal' }],
            },
          ],
          exclude: [{ system: `${CS}animals`, concept: [{ code: 'puppy' }] }],
        },
      }),
    ]);
    assert.deepEqual(expand(`${VS}listed`), { codes: ['cat', 'rock'] });
    assert.deepEqual(expand(`${VS}dogs`), { codes: ['dog', 'puppy'] });
    assert.deepEqual(expand(`${VS}no-puppies`), { codes: ['dog', 'cat'] });
  });

  it('follows included ValueSets (STU3/R4) and DSTU2 imports', () => {
    const expand = expander([
      hierarchy,
      valueSet('cats', { compose: { include: [{ system: `${CS}animals`, concept: [{ code: 'cat' }] }] } }),
      valueSet('rocks', { compose: { include: [{ system: `${CS}animals`, concept: [{ code: 'rock' }] }] } }),
      valueSet('both', {
        compose: { include: [{ valueSet: [`${VS}cats`] }, { valueSet: `${VS}rocks|1.0` }] },
      }),
      valueSet('imported', { compose: { import: [`${VS}cats`, `${VS}rocks`] } }),
    ]);
    assert.deepEqual(expand(`${VS}both`), { codes: ['cat', 'rock'] });
    assert.deepEqual(expand(`${VS}imported`), { codes: ['cat', 'rock'] });
  });

  it('reads the code system a DSTU2 ValueSet defines inline, and an expansion when one is given', () => {
    const expand = expander([
      valueSet('inline', {
        codeSystem: {
          system: `${CS}inline`,
          concept: [
            { code: 'a', concept: [{ code: 'a1' }] },
            { code: 'x', abstract: true },
          ],
        },
      }),
      valueSet('reuse', { compose: { include: [{ system: `${CS}inline` }] } }),
      valueSet('expanded', {
        expansion: {
          contains: [{ code: 'e1' }, { abstract: true, code: 'grp', contains: [{ code: 'e2' }] }],
        },
      }),
    ]);
    assert.deepEqual(expand(`${VS}inline`), { codes: ['a', 'a1'] });
    assert.deepEqual(expand(`${VS}reuse`), { codes: ['a', 'a1'] });
    assert.deepEqual(expand(`${VS}expanded`), { codes: ['e1', 'e2'] });
  });

  it('keeps each member with its code system, so that the same code in two systems stays two members', () => {
    const expand = createExpander(
      indexDefinitions([
        inlinePackage([
          hierarchy,
          codeSystem('pets', [{ code: 'cat' }, { code: 'fish' }]),
          valueSet('mixed', {
            compose: {
              include: [{ system: `${CS}animals`, concept: [{ code: 'cat' }] }, { system: `${CS}pets` }],
              exclude: [{ system: `${CS}pets`, concept: [{ code: 'fish' }] }],
            },
          }),
          valueSet('expanded', {
            expansion: { contains: [{ system: `${CS}pets`, code: 'cat' }, { code: 'bare' }] },
          }),
        ]),
      ]),
    );
    assert.deepEqual(expand(`${VS}mixed`), {
      codes: ['cat'],
      members: [
        { system: `${CS}animals`, code: 'cat' },
        { system: `${CS}pets`, code: 'cat' },
      ],
    });
    assert.deepEqual(expand(`${VS}expanded`), {
      codes: ['cat', 'bare'],
      members: [{ system: `${CS}pets`, code: 'cat' }, { code: 'bare' }],
    });
  });

  it('says why codes cannot be listed: external systems, missing ValueSets, incomplete code systems, unsupported filters, cycles', () => {
    const expand = expander([
      codeSystem('fragment', [{ code: 'f' }], 'fragment'),
      valueSet('mime', { compose: { include: [{ system: 'urn:ietf:bcp:13' }] } }),
      valueSet('partial', { compose: { include: [{ system: `${CS}fragment` }] } }),
      valueSet('regex', {
        compose: {
          include: [{ system: `${CS}animals`, filter: [{ property: 'code', op: 'regex', value: '.*' }] }],
        },
      }),
      valueSet('loop', { compose: { include: [{ valueSet: `${VS}loop` }] } }),
      hierarchy,
    ]);
    assert.deepEqual(expand(`${VS}mime`), { unresolved: EXTERNAL_CODE_SYSTEMS['urn:ietf:bcp:13'] });
    assert.deepEqual(expand(`${VS}missing`), { unresolved: `ValueSet ${VS}missing is not in the packages` });
    assert.deepEqual(expand(`${VS}partial`), {
      unresolved: `the codes of ${CS}fragment are not in the packages`,
    });
    assert.match((expand(`${VS}regex`) as { unresolved: string }).unresolved, /needs a terminology server/);
    assert.match((expand(`${VS}loop`) as { unresolved: string }).unresolved, /includes itself/);
  });
});

describe('IR pass "required bindings"', () => {
  it('lists the codes of required bindings only, and says why when it cannot', () => {
    const model = buildModel(
      [
        inlinePackage([
          ...tinyPrimitives(),
          ...tinyComplexTypes(),
          {
            resourceType: 'CodeSystem',
            url: `${CS}status`,
            content: 'complete',
            concept: [{ code: 'on' }, { code: 'off' }],
          },
          { resourceType: 'ValueSet', url: `${VS}status`, compose: { include: [{ system: `${CS}status` }] } },
          {
            resourceType: 'ValueSet',
            url: `${VS}mime`,
            compose: { include: [{ system: 'urn:ietf:bcp:13' }] },
          },
          tinyDefinition('Thing', [
            {
              path: 'Thing.status',
              type: [{ code: 'code' }],
              binding: { strength: 'required', valueSet: `${VS}status|4.0.1` },
            },
            {
              path: 'Thing.hint',
              type: [{ code: 'code' }],
              binding: { strength: 'extensible', valueSet: `${VS}status` },
            },
            {
              path: 'Thing.mime',
              type: [{ code: 'code' }],
              binding: { strength: 'required', valueSet: `${VS}mime` },
            },
          ]),
        ]),
      ],
      'r4',
    );
    const thing = findType(model, 'Thing');
    assert.ok(thing && thing.kind === 'resource');
    const binding = (name: string) => thing.elements.find((e) => e.name === name)?.binding;
    assert.deepEqual(binding('status'), {
      strength: 'required',
      valueSet: `${VS}status`,
      codes: ['on', 'off'],
    });
    assert.deepEqual(binding('hint'), { strength: 'extensible', valueSet: `${VS}status` });
    assert.deepEqual(binding('mime'), {
      strength: 'required',
      valueSet: `${VS}mime`,
      unresolved: EXTERNAL_CODE_SYSTEMS['urn:ietf:bcp:13'],
    });
  });
});
