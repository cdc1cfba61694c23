/**
 * Opening an SQLite file that another process opens at the same moment (store/sqlite-busy.ts): the
 * steps SQLite answers SQLITE_BUSY at once are tried again until they pass or the time is up; any
 * other error fails at once.
 */
import assert from 'node:assert/strict';
import { isBusy, retryWhileBusy } from '../../src/runtime/store/sqlite-busy';

const busy = (code = 'SQLITE_BUSY') => Object.assign(new Error('database is locked'), { code });

describe('opening an SQLite file that others open too', () => {
  it('tries a step again while it is busy, and returns what it returns once it passes', () => {
    let tries = 0;
    const value = retryWhileBusy(() => {
      tries += 1;
      if (tries < 4) throw busy(tries === 2 ? 'SQLITE_BUSY_SNAPSHOT' : 'SQLITE_BUSY');
      return 'open';
    });
    assert.equal(value, 'open');
    assert.equal(tries, 4);
  });

  it('fails at once on any other error', () => {
    let tries = 0;
    assert.throws(
      () =>
        retryWhileBusy(() => {
          tries += 1;
          throw Object.assign(new Error('file is not a database'), { code: 'SQLITE_NOTADB' });
        }),
      /not a database/,
    );
    assert.equal(tries, 1);
  });

  it('gives up with the busy error once the time is up', () => {
    const started = Date.now();
    assert.throws(
      () =>
        retryWhileBusy(() => {
          throw busy();
        }, 200),
      /database is locked/,
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 200 && elapsed < 2000, `${elapsed} ms`);
  });

  it('knows busy errors by their code', () => {
    assert.ok(isBusy(busy()) && isBusy(busy('SQLITE_BUSY_RECOVERY')));
    assert.ok(!isBusy(new Error('x')) && !isBusy(null) && !isBusy({ code: 5 }));
  });
});
