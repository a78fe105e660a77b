package store_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appreg/appreg/internal/store"
	"github.com/appreg/appreg/internal/store/redistest"
)

// counter is a Handler that does nothing but count.
type counter struct{ n atomic.Int64 }

func (c *counter) Run(context.Context, store.Job) error     { c.n.Add(1); return nil }
func (c *counter) Parked(context.Context, store.Job, error) {}

// BenchmarkRedisQueue measures the Redis store itself: three replicas
// (MaxConcurrent 4 each; REPLICAS=n for another count) on one
// redis-server run b.N no-op jobs of 30 repositories; it reports jobs per
// second through the queue (enqueue to finished) and the time Enqueue
// takes, p50 and p99.
func BenchmarkRedisQueue(b *testing.B) {
	replicas := 3
	if v := os.Getenv("REPLICAS"); v != "" {
		replicas, _ = strconv.Atoi(v)
	}
	srv := redistest.Start(b)
	var done counter
	var qs []*store.Redis
	for range replicas {
		r, err := store.NewRedis(b.Context(), store.RedisOptions{URL: srv.URL})
		if err != nil {
			b.Fatal(err)
		}
		r.Start(&done)
		qs = append(qs, r)
	}
	defer func() {
		for _, q := range qs {
			q.Shutdown(context.Background())
		}
	}()
	lat := make([]time.Duration, b.N)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	var next atomic.Int64
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t := time.Now()
				err := qs[(i+w)%len(qs)].Enqueue(b.Context(), store.Job{ID: fmt.Sprintf("bench-%d-%d", start.UnixNano(), i),
					Repo: fmt.Sprintf("contoso/repo-%d", i%30), Data: make([]byte, 28<<10)})
				lat[i] = time.Since(t)
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for done.n.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "enqueue-p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "enqueue-p99-ms")
}
