/**
 * The Lua scripts of the Redis token store. Redis runs a script atomically (no other command runs
 * while it does: https://redis.io/docs/latest/develop/interact/programmability/eval-intro/), which is
 * what makes each read-modify-write below safe when several server instances share one Redis.
 *
 * Every record also has a TTL (so that Redis never grows without bound even if no instance ever
 * purges), and its deadline in a sorted set per kind, so that `purgeExpired(now)` removes exactly
 * what has expired by the caller's clock, as the embedded store does.
 *
 * Values arrive as strings in ARGV and are stored as given; `tonumber` is only used to compare.
 * Epoch milliseconds (13 digits) are exact in Lua's doubles.
 */

/**
 * KEYS: issued record, revocation and, optionally, an address block. Returns both hashes as flat
 * field/value lists, then the block's deadline when one was asked for and exists.
 */
export const STATE = `
local state = { redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]) }
if KEYS[3] then state[3] = redis.call('GET', KEYS[3]) end
return state
`;

/**
 * KEYS: the new issued record, the owner key (subject and client -> newest jti), the issued index.
 * ARGV: jti, subject, clientId, fingerprint, issuedAt, expiresAt, ttl seconds, issued key prefix.
 * Every token recorded supersedes the owner's newest one, so at most one token per owner is ever
 * unsuperseded and the owner key needs to remember only that one. Returns the superseded jtis.
 */
export const RECORD_ISSUED = `
local superseded = {}
local previous = redis.call('GET', KEYS[2])
if previous and previous ~= ARGV[1] then
  local key = ARGV[8] .. previous
  if redis.call('EXISTS', key) == 1 and redis.call('HEXISTS', key, 'supersededAt') == 0 then
    redis.call('HSET', key, 'supersededAt', ARGV[5])
    superseded[1] = previous
  end
end
redis.call('HSET', KEYS[1], 'subject', ARGV[2], 'clientId', ARGV[3], 'fingerprint', ARGV[4],
  'issuedAt', ARGV[5], 'expiresAt', ARGV[6])
redis.call('EXPIRE', KEYS[1], ARGV[7])
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[7])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
return superseded
`;

/**
 * KEYS: revocation, revocation index. ARGV: reason, revokedAt, expiresAt, ttl seconds, jti.
 * The first revocation wins (its reason is kept); returns 1 when this call revoked.
 */
export const REVOKE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'reason', ARGV[1], 'revokedAt', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[5])
return 1
`;

/** KEYS: binding, binding index. ARGV: address, expiresAt, ttl seconds, jti. Returns the bound address. */
export const BIND_ADDRESS = `
local bound = redis.call('GET', KEYS[1])
if bound then return bound end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
return ARGV[1]
`;

/** KEYS: block, block index. ARGV: until (epoch ms), ttl ms, address. Only ever extends a block. */
export const BLOCK_ADDRESS = `
local current = tonumber(redis.call('GET', KEYS[1]))
if current and current >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[3])
return 1
`;

/**
 * KEYS: counter, counter index. ARGV: now (epoch ms), resetAt of a new window, ttl ms, counter name.
 * A fixed window starts at its first event; once it has ended the next event starts a new one.
 * Returns { count, resetAt }.
 */
export const INCREMENT = `
local reset = redis.call('HGET', KEYS[1], 'resetAt')
if reset and tonumber(reset) > tonumber(ARGV[1]) then
  return { redis.call('HINCRBY', KEYS[1], 'count', 1), reset }
end
redis.call('HSET', KEYS[1], 'count', 1, 'resetAt', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
return { 1, ARGV[2] }
`;

/**
 * KEYS: an index. ARGV: the highest deadline to purge (a ZRANGEBYSCORE bound, `(` for exclusive),
 * the key prefix of the records, the batch size. Deletes up to one batch of expired records and
 * their index entries; returns { records deleted, index entries seen }.
 */
export const PURGE = `
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local deleted = 0
for _, member in ipairs(members) do
  deleted = deleted + redis.call('DEL', ARGV[2] .. member)
  redis.call('ZREM', KEYS[1], member)
end
return { deleted, #members }
`;
