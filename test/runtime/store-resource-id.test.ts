/**
 * Server-assigned ids (store/resource-id.ts): valid FHIR ids, UUID version 7 (RFC 9562 §5.7), each
 * greater as text than the one before, within one millisecond and past 4,096 of them.
 */
import assert from 'node:assert/strict';
import { newResourceId } from '../../src/runtime/store/resource-id';

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('server-assigned resource ids', () => {
  it('are valid FHIR ids in the UUID version 7 layout, carrying the creation time', () => {
    const now = Date.UTC(2026, 11, 8, 1, 2, 3, 456);
    const id = newResourceId(now + 1e9);
    assert.match(id, FHIR_ID);
    assert.match(id, UUID_V7);
    assert.equal(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16), now + 1e9);
  });

  it('increase as text, in one millisecond and past 4,096 ids in it, and when the clock steps back', () => {
    const at = Date.now() + 2e9;
    const ids = [
      ...Array.from({ length: 5000 }, () => newResourceId(at)),
      newResourceId(at - 10_000),
      newResourceId(at + 1),
    ];
    for (let i = 1; i < ids.length; i += 1) {
      assert.ok((ids[i] as string) > (ids[i - 1] as string), `${ids[i - 1]} then ${ids[i]}`);
    }
    assert.equal(new Set(ids).size, ids.length);
  });
});
