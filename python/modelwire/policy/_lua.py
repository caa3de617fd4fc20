"""The Lua scripts behind the shared limits. Each runs atomically inside Redis, on Redis's own clock.

Keys of one model share a hash tag, so the scripts also work on Redis Cluster. The buckets use the same
rules as :class:`modelwire.policy.buckets.TokenBucket` (capacity: one second's worth, at least 1; a cost
above the capacity is admitted from a full bucket and leaves a debt).
"""

from __future__ import annotations

from typing import Final

__all__ = ["ADMIT", "RELEASE"]

_NOW_AND_BUCKET: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- level of a bucket now, and ms until `cost` fits (0: fits)
local function bucket(key, per_min, cost)
  local rate = per_min / 60000.0
  local cap = math.max(1.0, per_min / 60.0)
  local v = redis.call('HMGET', key, 'level', 'ts')
  local level = tonumber(v[1]) or cap
  local ts = tonumber(v[2]) or now
  if now > ts then level = math.min(cap, level + (now - ts) * rate) end
  local need = math.min(cost, cap)
  if level >= need then return level, 0 end
  return level, math.ceil((need - level) / rate)
end

-- store a level; the key lives until the bucket would be full again, plus a second
local function store(key, per_min, level)
  local rate = per_min / 60000.0
  local cap = math.max(1.0, per_min / 60.0)
  redis.call('HSET', key, 'level', tostring(level), 'ts', now)
  redis.call('PEXPIRE', key, math.ceil((cap - level) / rate) + 1000)
end
"""

# KEYS: cooldown, concurrency (zset of leases), rpm bucket, tpm bucket
# ARGV: lease id, concurrency limit (0: none), lease ms, rpm (0: none), tpm (0: none), tokens
# -> {1, 0} admitted | {0, ms to wait} | {0, -1} wait for a release
ADMIT: Final = (
    _NOW_AND_BUCKET
    + """
local cool = redis.call('PTTL', KEYS[1])
if cool > 0 then return {0, cool} end
local limit = tonumber(ARGV[2])
if limit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= limit then return {0, -1} end
end
local rpm, tpm, tokens = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local rl, tl, wait = 0, 0, 0
if rpm > 0 then
  rl, wait = bucket(KEYS[3], rpm, 1)
  if wait > 0 then return {0, wait} end
end
if tpm > 0 then
  tl, wait = bucket(KEYS[4], tpm, tokens)
  if wait > 0 then return {0, wait} end
end
if rpm > 0 then store(KEYS[3], rpm, rl - 1) end
if tpm > 0 then store(KEYS[4], tpm, tl - tokens) end
if limit > 0 then
  local lease = tonumber(ARGV[3])
  redis.call('ZADD', KEYS[2], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], lease * 2)
end
return {1, 0}
"""
)

# KEYS: cooldown, concurrency, tpm bucket, rpm bucket
# ARGV: lease id, tpm (0: none), tokens to give back (negative: charge), cool-down ms (0: none),
#       a provider-stated rpm whose bucket starts empty when it does not exist yet (0: none)
RELEASE: Final = (
    _NOW_AND_BUCKET
    + """
redis.call('ZREM', KEYS[2], ARGV[1])
local tpm, delta = tonumber(ARGV[2]), tonumber(ARGV[3])
if tpm > 0 and delta ~= 0 then
  local level = bucket(KEYS[3], tpm, 0)
  store(KEYS[3], tpm, math.min(math.max(1.0, tpm / 60.0), level + delta))
end
local cool = tonumber(ARGV[4])
if cool > 0 and redis.call('PTTL', KEYS[1]) < cool then
  redis.call('SET', KEYS[1], '1', 'PX', cool)
end
local stated = tonumber(ARGV[5])
if stated > 0 and redis.call('EXISTS', KEYS[4]) == 0 then store(KEYS[4], stated, 0) end
return 1
"""
)
