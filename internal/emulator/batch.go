package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxBatch is Graph's limit of requests per $batch (apis.md §8).
const maxBatch = 20

type batchItem struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

// serveBatch answers POST /$batch: up to 20 requests, executed in an order
// that honours dependsOn, each answered with its own status, headers and
// body; a request whose dependency failed gets 424, and each item may be
// throttled on its own.
func (s *Server) serveBatch(r *request) *response {
	var in struct {
		Requests []batchItem `json:"requests"`
	}
	if err := json.Unmarshal(r.body, &in); err != nil || in.Requests == nil {
		return s.graphError(r, http.StatusBadRequest, "BadRequest", "Invalid batch payload format.")
	}
	if len(in.Requests) > maxBatch {
		return s.graphError(r, http.StatusBadRequest, "BadRequest",
			fmt.Sprintf("The number of requests in a batch cannot exceed %d; got %d.", maxBatch, len(in.Requests)))
	}
	byID := map[string]*batchItem{}
	for i := range in.Requests {
		it := &in.Requests[i]
		if it.ID == "" || it.Method == "" || it.URL == "" {
			return s.graphError(r, http.StatusBadRequest, "BadRequest", "Each batch request needs an id, a method and a url.")
		}
		if byID[it.ID] != nil {
			return s.graphError(r, http.StatusBadRequest, "BadRequest", "Batch request ids must be unique; '"+it.ID+"' is repeated.")
		}
		byID[it.ID] = it
	}
	for _, it := range in.Requests {
		for _, d := range it.DependsOn {
			if byID[d] == nil || d == it.ID {
				return s.graphError(r, http.StatusBadRequest, "BadRequest", "Request '"+it.ID+"' depends on an unknown request '"+d+"'.")
			}
		}
	}
	results := map[string]map[string]any{}
	statuses := map[string]int{}
	for len(results) < len(in.Requests) {
		progressed := false
		for i := range in.Requests {
			it := &in.Requests[i]
			if results[it.ID] != nil {
				continue
			}
			ready, failed := true, false
			for _, d := range it.DependsOn {
				st, done := statuses[d]
				if !done {
					ready = false
					break
				}
				failed = failed || st >= 400
			}
			if !ready {
				continue
			}
			progressed = true
			var resp *response
			if failed {
				resp = s.graphError(r, http.StatusFailedDependency, "FailedDependency", "The request depends on a request that failed.")
			} else {
				resp = s.runBatchItem(r, it)
			}
			statuses[it.ID] = resp.status
			results[it.ID] = batchResult(it.ID, resp)
		}
		if !progressed {
			return s.graphError(r, http.StatusBadRequest, "BadRequest", "The dependsOn of the batch requests form a cycle.")
		}
	}
	out := make([]any, 0, len(in.Requests))
	for _, it := range in.Requests {
		out = append(out, results[it.ID])
	}
	return newResponse(http.StatusOK, map[string]any{"responses": out})
}

// runBatchItem executes one item as if it were a request of its own (it
// shares the outer request's authentication).
func (s *Server) runBatchItem(outer *request, it *batchItem) *response {
	header := http.Header{}
	for k, v := range it.Headers {
		header.Set(k, v)
	}
	path, query, err := batchURL(it.URL, outer.version)
	r := newRequest(it.Method, outer.version, path, query, header)
	r.caller = outer.caller
	if crid := header.Get("client-request-id"); crid == "" {
		r.clientRequestID = outer.clientRequestID
	}
	if err != nil {
		s.count("batch:"+r.method+" /"+r.version+normalizeUnknown(it.URL), false)
		return s.graphError(r, http.StatusBadRequest, "BadRequest", "Invalid request URL '"+it.URL+"'.")
	}
	if b := strings.TrimSpace(string(it.Body)); b != "" && b != "null" {
		r.body = it.Body
	}
	pattern, h := s.route(r)
	s.count("batch:"+routeKey(r, pattern), false)
	if resp := s.readAllowed(r); resp != nil {
		return resp
	}
	if resp := s.injected(r, false, h); resp != nil {
		return resp
	}
	return h(r)
}

// batchURL resolves an item URL: relative to the batch's API version
// ("/applications", "applications?$top=1") or absolute.
func batchURL(raw, version string) (string, url.Values, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", nil, fmt.Errorf("parsing batch url %q: %w", raw, err)
	}
	p := u.Path
	if u.IsAbs() || strings.HasPrefix(p, "/"+version+"/") {
		p = strings.TrimPrefix(p, "/"+version)
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p, u.Query(), nil
}

// batchResult renders one item of the $batch response.
func batchResult(id string, resp *response) map[string]any {
	headers := map[string]any{}
	for k, v := range resp.header {
		if len(v) > 0 {
			headers[k] = v[0]
		}
	}
	if resp.body != nil {
		headers["Content-Type"] = jsonContentType
	}
	out := map[string]any{"id": id, "status": resp.status, "headers": headers}
	if resp.body != nil {
		out["body"] = resp.body
	}
	return out
}
