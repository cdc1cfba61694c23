/**
 * `security.tokenStore` and TOKEN_STORE / TOKEN_STORE_URL / TOKEN_STORE_PREFIX, as the project's
 * start reads them: SQLite by default, Redis with a URL, and every mistake named (a URL's password
 * never repeated in the message).
 */
import assert from 'node:assert/strict';
import { readSecuritySettings } from '../../src/runtime/app/security-config';
import { ConfigError } from '../../src/runtime/config';

function read(tokenStore: unknown, env: NodeJS.ProcessEnv = {}) {
  return readSecuritySettings(tokenStore === undefined ? {} : { tokenStore }, env, '/project').tokenStore;
}

function problems(tokenStore: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    read(tokenStore, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return assert.fail('no problem reported');
}

describe('token store settings', () => {
  it('defaults to the SQLite file in the state folder', () => {
    assert.deepEqual(read(undefined), { kind: 'sqlite' });
    assert.deepEqual(read({ kind: 'sqlite' }), { kind: 'sqlite' });
  });

  it('reads Redis from the file, with the default key prefix', () => {
    assert.deepEqual(read({ kind: 'redis', url: 'redis://127.0.0.1:6379/0' }), {
      kind: 'redis',
      url: 'redis://127.0.0.1:6379/0',
      keyPrefix: 'fhirgen:',
    });
  });

  it('lets the environment choose Redis over the file', () => {
    assert.deepEqual(
      read(
        { kind: 'sqlite' },
        { TOKEN_STORE: 'redis', TOKEN_STORE_URL: 'rediss://u:p@cache:6380/2', TOKEN_STORE_PREFIX: 'a:' },
      ),
      { kind: 'redis', url: 'rediss://u:p@cache:6380/2', keyPrefix: 'a:' },
    );
  });

  it('names an unknown kind, a missing or foreign URL, a bad prefix and stray keys', () => {
    assert.deepEqual(problems({ kind: 'memcached' }), [
      'security.tokenStore.kind (TOKEN_STORE) must be sqlite or redis, got "memcached"',
    ]);
    assert.match(
      problems({ kind: 'redis' })[0] as string,
      /url \(TOKEN_STORE_URL\) must be a redis:\/\/ or rediss:\/\/ URL/,
    );
    const foreign = problems({ kind: 'redis', url: 'http://admin:hunter2@cache:6379' })[0] as string;
    assert.match(foreign, /got "http:\/\/\*\*\*@cache:6379"/);
    assert.doesNotMatch(foreign, /hunter2/);
    assert.match(problems({ kind: 'redis', url: 'redis://c:6379', keyPrefix: '' })[0] as string, /keyPrefix/);
    assert.deepEqual(problems({ kind: 'sqlite', url: 'redis://c:6379' }), [
      'security.tokenStore.url does not apply to the sqlite token store',
    ]);
    assert.match(
      problems(undefined, { TOKEN_STORE_URL: 'redis://c:6379' })[0] as string,
      /set TOKEN_STORE=redis/,
    );
    assert.deepEqual(problems('redis'), ['security.tokenStore must be an object']);
  });
});
