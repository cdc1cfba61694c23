import assert from 'node:assert/strict';
import type { SearchQuery } from '../../src/runtime/contracts';
import { buildSearchBundle, shape } from '../../src/runtime/search/bundle';

const patient = {
  resourceType: 'Patient',
  id: 'p1',
  meta: { versionId: '2' },
  text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' },
  name: [{ family: 'X' }],
  gender: 'male',
  deceasedBoolean: false,
  photo: [{ contentType: 'image/png' }],
};
const base: SearchQuery = {
  resourceType: 'Patient',
  params: [],
  count: 10,
  sort: [],
  include: [],
  revinclude: [],
  ignored: [],
};
const options = {
  version: 'r4' as const,
  baseUrl: 'https://x.org/r4',
  summaryElements: () => ['name', 'gender', 'deceased[x]'],
};
const tags = (resource: Record<string, unknown>) =>
  ((resource.meta as { tag?: { code: string }[] }).tag ?? []).map((t) => t.code);

describe('searchset Bundle: _summary and _elements', () => {
  it('_elements keeps the named elements, choices by their name, and marks SUBSETTED', () => {
    const out = shape(patient, { ...base, elements: ['gender', 'deceased'] }, options);
    assert.deepEqual(Object.keys(out).sort(), ['deceasedBoolean', 'gender', 'id', 'meta', 'resourceType']);
    assert.deepEqual(tags(out), ['SUBSETTED']);
    assert.equal((out.meta as { versionId: string }).versionId, '2');
  });

  it('_summary=text keeps the narrative, _summary=data drops it', () => {
    assert.deepEqual(Object.keys(shape(patient, { ...base, summary: 'text' }, options)).sort(), [
      'id',
      'meta',
      'resourceType',
      'text',
    ]);
    assert.ok(!('text' in shape(patient, { ...base, summary: 'data' }, options)));
  });

  it('_summary=true keeps the summary elements the generator lists', () => {
    const out = shape(patient, { ...base, summary: 'true' }, options);
    assert.deepEqual(Object.keys(out).sort(), [
      'deceasedBoolean',
      'gender',
      'id',
      'meta',
      'name',
      'resourceType',
    ]);
  });

  it('leaves resources whole without _summary or _elements', () => {
    assert.deepEqual(shape(patient, base, options), patient);
  });

  it('writes links for the pages around, and no entry when there is none', () => {
    const bundle = buildSearchBundle(base, { matches: [], includes: [], total: 0 }, options);
    assert.deepEqual(bundle, {
      resourceType: 'Bundle',
      type: 'searchset',
      total: 0,
      link: [
        { relation: 'self', url: 'https://x.org/r4/Patient?_count=10' },
        { relation: 'first', url: 'https://x.org/r4/Patient?_count=10' },
      ],
    });
    const paged = buildSearchBundle(
      base,
      {
        matches: [patient],
        includes: [],
        next: { direction: 'next', key: ['p1'] },
        previous: { direction: 'previous', key: ['p1'] },
      },
      options,
    );
    const relations = (paged.link as { relation: string; url: string }[]).map((l) => l.relation);
    assert.deepEqual(relations, ['self', 'first', 'previous', 'next']);
    assert.equal(paged.total, undefined);
  });
});
