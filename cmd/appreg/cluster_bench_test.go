package main

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/appreg/appreg/internal/gh/ghtest"
)

// BenchmarkServeCluster measures three appreg serve processes on one
// Redis: 300 pull_request deliveries for 30 repositories (each planned
// against the emulator and commented on the fake GitHub), sent as fast as
// the replicas answer, each repository's in order. It reports the
// deliveries run per second, from the first send to the last run's last
// status, and the time a replica takes to answer a delivery (HTTP round
// trip over loopback: verify, route, queue in Redis), p50 and p99.
//
//	go test ./cmd/appreg -run XXX -bench ServeCluster -benchtime 1x
func BenchmarkServeCluster(b *testing.B) {
	const repos, per = 30, 10
	c := newCluster(b, 3, "--max-concurrent", "4")
	var all [][]delivery
	for i := range repos {
		all = append(all, c.pullRequestEvents(fmt.Sprintf("contoso/bench-%02d", i), per))
	}
	b.ResetTimer()
	start := time.Now()
	var mu sync.Mutex
	var answers []time.Duration
	var wg sync.WaitGroup
	for i, ds := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k, d := range ds {
				c.github.AddPullRequest(d.repo, ghtest.PullRequest{Number: 1, HeadSHA: d.sha, Author: "Codertocat"})
				t := time.Now()
				status, body := c.send(c.replicas[(i+k)%len(c.replicas)], d)
				took := time.Since(t)
				if status != 202 {
					b.Errorf("%s: %d %s", d.id, status, body)
					return
				}
				mu.Lock()
				answers = append(answers, took)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sent := time.Since(start)
	c.waitDone(all, 10*time.Minute)
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(answers)
	b.ReportMetric(float64(repos*per)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(repos*per)/sent.Seconds(), "sent/s")
	b.ReportMetric(ms(answers[len(answers)/2]), "answer-p50-ms")
	b.ReportMetric(ms(answers[len(answers)*99/100]), "answer-p99-ms")
	b.ReportMetric(ms(answers[len(answers)-1]), "answer-max-ms")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
