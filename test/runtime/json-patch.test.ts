import assert from 'node:assert/strict';
import { applyPatch, parsePatch } from '../../src/runtime/json-patch';
import { FhirHttpError } from '../../src/runtime/outcome';

/** Cases from RFC 6902 Appendix A, given / patch / want. */
const RFC_CASES: { name: string; given: unknown; patch: unknown[]; want: unknown }[] = [
  {
    name: 'A.1 add an object member',
    given: { foo: 'bar' },
    patch: [{ op: 'add', path: '/baz', value: 'qux' }],
    want: { baz: 'qux', foo: 'bar' },
  },
  {
    name: 'A.2 add an array element',
    given: { foo: ['bar', 'baz'] },
    patch: [{ op: 'add', path: '/foo/1', value: 'qux' }],
    want: { foo: ['bar', 'qux', 'baz'] },
  },
  {
    name: 'A.3 remove an object member',
    given: { baz: 'qux', foo: 'bar' },
    patch: [{ op: 'remove', path: '/baz' }],
    want: { foo: 'bar' },
  },
  {
    name: 'A.4 remove an array element',
    given: { foo: ['bar', 'qux', 'baz'] },
    patch: [{ op: 'remove', path: '/foo/1' }],
    want: { foo: ['bar', 'baz'] },
  },
  {
    name: 'A.5 replace a value',
    given: { baz: 'qux', foo: 'bar' },
    patch: [{ op: 'replace', path: '/baz', value: 'boo' }],
    want: { baz: 'boo', foo: 'bar' },
  },
  {
    name: 'A.6 move a value',
    given: { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    patch: [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    want: { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  },
  {
    name: 'A.7 move an array element',
    given: { foo: ['all', 'grass', 'cows', 'eat'] },
    patch: [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
    want: { foo: ['all', 'cows', 'eat', 'grass'] },
  },
  {
    name: 'A.8 test success',
    given: { baz: 'qux', foo: ['a', 2, 'c'] },
    patch: [
      { op: 'test', path: '/baz', value: 'qux' },
      { op: 'test', path: '/foo/1', value: 2 },
    ],
    want: { baz: 'qux', foo: ['a', 2, 'c'] },
  },
  {
    name: 'A.10 add a nested member object',
    given: { foo: 'bar' },
    patch: [{ op: 'add', path: '/child', value: { grandchild: {} } }],
    want: { foo: 'bar', child: { grandchild: {} } },
  },
  {
    name: 'A.14 ~ escape ordering',
    given: { '/': 9, '~1': 10 },
    patch: [{ op: 'test', path: '/~01', value: 10 }],
    want: { '/': 9, '~1': 10 },
  },
  {
    name: 'A.16 add an array value',
    given: { foo: ['bar'] },
    patch: [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }],
    want: { foo: ['bar', ['abc', 'def']] },
  },
  {
    name: 'copy',
    given: { a: { b: [1] } },
    patch: [{ op: 'copy', from: '/a', path: '/c' }],
    want: { a: { b: [1] }, c: { b: [1] } },
  },
];

function statusOf(action: () => unknown): number | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof FhirHttpError) return error.status;
    throw error;
  }
  return undefined;
}

describe('JSON Patch (RFC 6902)', () => {
  for (const { name, given, patch, want } of RFC_CASES) {
    it(name, () => {
      assert.deepEqual(applyPatch(given, parsePatch(patch)), want);
    });
  }

  it('leaves the document untouched, and copies are independent', () => {
    const given = { a: { b: 1 } };
    const result = applyPatch(given, parsePatch([{ op: 'copy', from: '/a', path: '/c' }]));
    (result as unknown as { c: { b: number } }).c.b = 2;
    assert.deepEqual(given, { a: { b: 1 } });
    assert.equal((result as { a: { b: number } }).a.b, 1);
  });

  it('fails with 422 when a patch cannot apply: A.9 failed test, A.12 missing parent, A.15 string vs number', () => {
    assert.equal(
      statusOf(() => applyPatch({ baz: 'qux' }, parsePatch([{ op: 'test', path: '/baz', value: 'bar' }]))),
      422,
    );
    assert.equal(
      statusOf(() => applyPatch({ foo: 'bar' }, parsePatch([{ op: 'add', path: '/baz/bat', value: 'qux' }]))),
      422,
    );
    assert.equal(
      statusOf(() => applyPatch({ '/': 9 }, parsePatch([{ op: 'test', path: '/~1', value: '9' }]))),
      422,
    );
    assert.equal(
      statusOf(() => applyPatch({ foo: [1] }, parsePatch([{ op: 'remove', path: '/foo/1' }]))),
      422,
    );
    assert.equal(
      statusOf(() => applyPatch({ foo: [1] }, parsePatch([{ op: 'add', path: '/foo/01', value: 2 }]))),
      422,
    );
    assert.equal(
      statusOf(() => applyPatch({ a: { b: 1 } }, parsePatch([{ op: 'move', from: '/a', path: '/a/b/c' }]))),
      422,
    );
  });

  it('refuses malformed patch documents with 400, and forbidden keys', () => {
    assert.equal(
      statusOf(() => parsePatch({ op: 'add' })),
      400,
    );
    assert.equal(
      statusOf(() => parsePatch([{ op: 'jump', path: '/a' }])),
      400,
    );
    assert.equal(
      statusOf(() => parsePatch([{ op: 'add', path: 'a', value: 1 }])),
      400,
    );
    assert.equal(
      statusOf(() => parsePatch([{ op: 'add', path: '/a' }])),
      400,
    );
    assert.equal(
      statusOf(() => parsePatch([{ op: 'move', path: '/a' }])),
      400,
    );
    assert.equal(
      statusOf(() => parsePatch([{ op: 'add', path: '/__proto__/polluted', value: true }])),
      400,
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
