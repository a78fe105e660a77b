package webhook

import "sync"

// lru is a bounded set of the most recently added strings: the oldest
// goes when it is full, and only the oldest (a removed entry frees its
// slot rather than leaving a stale one that would later evict a newer
// copy of the same key).
type lru struct {
	mu    sync.Mutex
	max   int
	order []string // ring buffer of insertion order; "" is a free slot
	next  int
	slot  map[string]int // key -> its index in order
}

func newLRU(max int) *lru { return &lru{max: max, order: make([]string, max), slot: map[string]int{}} }

// add records k and reports whether it was new.
func (l *lru) add(k string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.slot[k]; ok {
		return false
	}
	if old := l.order[l.next]; old != "" {
		delete(l.slot, old)
	}
	l.order[l.next] = k
	l.slot[k] = l.next
	l.next = (l.next + 1) % l.max
	return true
}

func (l *lru) remove(k string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i, ok := l.slot[k]; ok {
		l.order[i] = ""
		delete(l.slot, k)
	}
}
