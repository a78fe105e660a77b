package store

import "github.com/redis/go-redis/v9"

// The scripts below are each one atomic step of the Redis store's protocol
// (a Lua script runs without any other command in between,
// https://redis.io/docs/latest/develop/programmability/eval-intro/). The
// keys are:
//
//	<prefix>:jobs            stream of queued jobs, read through group "workers"
//	<prefix>:dead            stream of parked jobs (dead letters)
//	<prefix>:delivery:<id>   a delivery id seen (SET NX PX: the dedup record)
//	<prefix>:order:<repo>    list of the repository's queued entry ids, oldest first
//	<prefix>:lease:<repo>    the repository's lease: the token of its holder
//	<prefix>:attempts        hash: delivery id -> runs started
//	<prefix>:done            pub/sub channel: a repository whose job finished
//
// The order list is the truth about a repository's order: a job runs only
// while it is the list's head and its runner holds the lease; finishing a
// job removes it from the list, the stream and the group's pending list in
// one step.

// enqueueScript records the delivery id and queues the job, or answers 0
// (duplicate) or -1 (full): a delivery is never marked seen without being
// queued, nor queued twice.
//
// KEYS: delivery, jobs, order. ARGV: ttl ms, delivery id, repo, data, max.
var enqueueScript = redis.NewScript(`
local max = tonumber(ARGV[5])
if max > 0 and redis.call('XLEN', KEYS[2]) >= max then return -1 end
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 0 end
local id = redis.call('XADD', KEYS[2], '*', 'delivery', ARGV[2], 'repo', ARGV[3], 'data', ARGV[4])
redis.call('RPUSH', KEYS[3], id)
return id
`)

// Results of takeScript.
const (
	takeStale = 0 // the entry is no longer queued: it was finished or handed back
	takeRun   = 1 // the entry is the head and the lease is the caller's
	takeBusy  = 2 // the entry is the head, but another runner holds the lease
	takeWait  = 3 // an older job of the repository comes first
)

// takeScript takes the repository's lease for an entry, when the entry is
// the head of its repository's order.
//
// KEYS: lease, order. ARGV: token, entry id, lease ms.
var takeScript = redis.NewScript(`
local head = redis.call('LINDEX', KEYS[2], 0)
if head == ARGV[2] then
  if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[3]) then return 1 end
  if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return 1
  end
  return 2
end
if not redis.call('LPOS', KEYS[2], ARGV[2]) then return 0 end
return 3
`)

// renewScript extends a lease, only for its holder: 1, or 0 when the
// lease is another's or expired.
//
// KEYS: lease. ARGV: token, lease ms.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// releaseScript deletes a lease, only for its holder.
//
// KEYS: lease. ARGV: token.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// finishScript ends a job that ran, for the lease's holder (or when no one
// holds it any more): it leaves the order, the stream and the pending list
// and its attempts are forgotten; releases the lease. A parked job goes to
// the dead-letter stream and its delivery id is forgotten, so that
// redelivering it from GitHub runs it again. Answers 0 when another runner
// holds the lease (the caller lost it).
//
// KEYS: lease, order, jobs, attempts, dead, delivery.
// ARGV: token, entry id, group, delivery id, "done" or "park", repo, data,
// error, attempts, dead-letter max length, the channel told the repository
// moved on.
var finishScript = redis.NewScript(`
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
if redis.call('LINDEX', KEYS[2], 0) == ARGV[2] then redis.call('LPOP', KEYS[2]) end
redis.call('XACK', KEYS[3], ARGV[3], ARGV[2])
redis.call('XDEL', KEYS[3], ARGV[2])
redis.call('HDEL', KEYS[4], ARGV[4])
if ARGV[5] == 'park' then
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[10], '*', 'delivery', ARGV[4], 'repo', ARGV[6],
    'data', ARGV[7], 'error', ARGV[8], 'attempts', ARGV[9])
  redis.call('DEL', KEYS[6])
end
if holder then redis.call('DEL', KEYS[1]) end
redis.call('PUBLISH', ARGV[11], ARGV[6])
return 1
`)

// dropScript acknowledges an entry that is no longer in its repository's
// order (finished by another runner, or handed back under a new id).
//
// KEYS: jobs, order. ARGV: entry id, group.
var dropScript = redis.NewScript(`
if redis.call('LPOS', KEYS[2], ARGV[1]) then return 0 end
redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
return 1
`)

// handbackScript gives an entry back to the group, keeping its place in
// its repository's order: it is queued again under a new id (which any
// replica's next read takes) that replaces the old one in the order list.
// It does nothing to an entry another runner holds the lease for while it
// is the head (that runner is running it).
//
// KEYS: jobs, order, lease. ARGV: entry id, group, token, the channel told
// the repository moved on, repo.
var handbackScript = redis.NewScript(`
local holder = redis.call('GET', KEYS[3])
if holder and holder ~= ARGV[3] and redis.call('LINDEX', KEYS[2], 0) == ARGV[1] then return 0 end
local e = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
if #e == 0 then return 0 end
local pos = redis.call('LPOS', KEYS[2], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
if holder == ARGV[3] then redis.call('DEL', KEYS[3]) end
if not pos then return 0 end
local id = redis.call('XADD', KEYS[1], '*', unpack(e[1][2]))
redis.call('LSET', KEYS[2], pos, id)
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`)

// healScript removes an order list's head whose entry is gone from the
// stream (lost outside appreg: a Redis restored from an older snapshot, a
// manual XDEL), so that the repository's next jobs are not blocked
// forever.
//
// KEYS: order, jobs. ARGV: head id.
var healScript = redis.NewScript(`
if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] then return 0 end
if #redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1]) > 0 then return 0 end
redis.call('LPOP', KEYS[1])
return 1
`)
