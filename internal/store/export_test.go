package store

// Crash cuts r from Redis as a dead process would be: nothing it does
// afterwards reaches Redis (no renewal, no hand-back, no acknowledgement).
func (r *Redis) Crash() { r.rdb.Close() }
