package cli

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestServeMemory measures appreg serve under a flood: 2,000 signed
// deliveries (pull requests to plan) and 50 unsigned ones of 30 MB each,
// sent concurrently. It reports the process's peak resident memory
// (VmHWM), which includes the Entra emulator and the fake GitHub running
// in the same process, so it is an upper bound for serve alone. It asserts
// nothing about time or memory (that would flake); BENCHMARKS.md records
// the figure. Run it with:
//
//	APPREG_MEASURE_RSS=1 go test ./internal/cli -run TestServeMemory -v
func TestServeMemory(t *testing.T) {
	if os.Getenv("APPREG_MEASURE_RSS") == "" {
		t.Skip("set APPREG_MEASURE_RSS=1 to measure serve's memory under a flood of deliveries")
	}
	s := newServeEnv(t, "", false)
	body, err := os.ReadFile("../../cmd/appreg/testdata/events/pull_request.opened.json")
	if err != nil {
		t.Fatal(err)
	}
	body = withInstallation(body)
	m := hmac.New(sha256.New, []byte(serveSecret))
	m.Write(body)
	signature := "sha256=" + hex.EncodeToString(m.Sum(nil))

	client := &http.Client{Timeout: time.Minute}
	send := func(delivery string, body io.Reader, length int64, signature string) int {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.url+"/webhook", body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = length
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "pull_request")
		req.Header.Set("X-GitHub-Delivery", delivery)
		if signature != "" {
			req.Header.Set("X-Hub-Signature-256", signature)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0 // the server may close an oversized upload early
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	start := time.Now()
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	work := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range work {
				var code int
				if i%41 == 40 && i/41 < 50 { // 50 oversized unsigned, spread among the signed
					code = send(fmt.Sprintf("big-%d", i), io.LimitReader(zeros{}, 30<<20), 30<<20, "")
				} else {
					code = send(fmt.Sprintf("d-%d", i), bytes.NewReader(body), int64(len(body)), signature)
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		})
	}
	for i := range 2050 {
		work <- i
	}
	close(work)
	wg.Wait()
	sent := time.Since(start)
	if err := s.whs.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("2,000 signed + 50 oversized unsigned deliveries: answers %v, sent in %s, all jobs done after %s",
		codes, sent.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	t.Logf("peak RSS (VmHWM, whole test process incl. emulator and fake GitHub): %s; Go heap now %d MiB, Go sys %d MiB",
		procStatus("VmHWM"), ms.HeapInuse>>20, ms.Sys>>20)
}

// zeros is an endless body.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// procStatus returns a field of /proc/self/status, e.g. "VmHWM".
func procStatus(field string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
