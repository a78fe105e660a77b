package emulator

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestBatch(t *testing.T) {
	t.Parallel()
	// The PATCH writes an application the operator does not own.
	s := start(t, Options{GrantRoles: readWriteAll})
	c := newClient(t, s)
	app, err := s.CreateApplication(map[string]any{"displayName": "b"})
	if err != nil {
		t.Fatal(err)
	}
	id := app["id"].(string)
	item := func(id, method, url string, deps ...string) map[string]any {
		return map[string]any{"id": id, "method": method, "url": url, "headers": map[string]any{}, "body": nil, "dependsOn": deps}
	}

	out := c.must(http.StatusOK, "POST", "/$batch", map[string]any{"requests": []any{
		item("4", "GET", "/applications/"+id+"/owners", "3"),
		item("1", "GET", "/applications/"+id),
		map[string]any{"id": "2", "method": "PATCH", "url": "applications/" + id, "body": map[string]any{"notes": "batched"}, "headers": map[string]any{"content-type": "application/json"}, "dependsOn": []any{"1"}},
		item("3", "GET", "/applications/00000000-0000-0000-0000-000000000001"),
	}})
	got := map[string]float64{}
	for _, r := range out["responses"].([]any) {
		m := r.(map[string]any)
		got[m["id"].(string)] = m["status"].(float64)
		if m["status"].(float64) != 204 && m["headers"].(map[string]any)["Content-Type"] == nil {
			t.Errorf("item %v lacks Content-Type", m["id"])
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(map[string]float64{"1": 200, "2": 204, "3": 404, "4": 424}) {
		t.Errorf("statuses = %v", got)
	}
	if a, _ := s.Application(id); a["notes"] != "batched" {
		t.Errorf("PATCH in batch not applied: %v", a["notes"])
	}
	stats := s.Stats()
	if stats["POST /v1.0/$batch"] != 1 || stats["batch:PATCH /v1.0/applications/{id}"] != 1 || stats["batch:GET /v1.0/applications/{id}"] != 2 {
		t.Errorf("stats = %v", stats)
	}

	var many []any
	for i := range 21 {
		many = append(many, item(fmt.Sprint(i), "GET", "/applications"))
	}
	bad := []struct {
		name string
		body any
	}{
		{"more than 20", map[string]any{"requests": many}},
		{"duplicate ids", map[string]any{"requests": []any{item("1", "GET", "/applications"), item("1", "GET", "/applications")}}},
		{"unknown dependency", map[string]any{"requests": []any{item("1", "GET", "/applications", "9")}}},
		{"cycle", map[string]any{"requests": []any{item("1", "GET", "/applications", "2"), item("2", "GET", "/applications", "1")}}},
		{"not a batch", map[string]any{"value": 1}},
	}
	for _, b := range bad {
		if st, _, body := c.do("POST", "/$batch", b.body); st != http.StatusBadRequest || errCode(body) == "" {
			t.Errorf("%s: %d %v", b.name, st, body)
		}
	}
}

func TestBatchItemsAreThrottledOnTheirOwn(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Seed: 3})
	c := newClient(t, s)
	reqs := make([]any, 20)
	for i := range reqs {
		reqs[i] = map[string]any{"id": fmt.Sprint(i), "method": "GET", "url": "/applications?$top=1"}
	}
	s.SetFaults(Faults{ThrottleRate: 0.5, RetryAfter: 1500 * time.Millisecond})
	var throttled, ok int
	for range 10 {
		st, _, out := c.do("POST", "/$batch", map[string]any{"requests": reqs})
		if st != http.StatusOK {
			continue // the outer request itself was throttled
		}
		for _, r := range out["responses"].([]any) {
			m := r.(map[string]any)
			switch m["status"] {
			case float64(429):
				throttled++
				if m["headers"].(map[string]any)["Retry-After"] != "1.5" || errCode(m["body"].(map[string]any)) != "TooManyRequests" {
					t.Errorf("throttled item = %v", m)
				}
			case float64(200):
				ok++
			}
		}
	}
	if throttled == 0 || ok == 0 {
		t.Errorf("throttled %d and passed %d items; want both", throttled, ok)
	}
}
