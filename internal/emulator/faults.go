package emulator

import (
	"math/rand"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Faults are the failures the emulator injects into Microsoft Graph requests
// (the token endpoint is never throttled or failed by them). The zero value
// injects nothing. Set them with Server.SetFaults at any time.
type Faults struct {
	// Latency delays every Graph request (not each $batch item).
	Latency time.Duration
	// ThrottleRate is the fraction (0..1) of Graph requests, and of $batch
	// items, answered 429 TooManyRequests.
	ThrottleRate float64
	// RetryAfter is sent as Retry-After on throttled responses, in seconds
	// (fractions allowed, "0" by default so SDK retries happen at once).
	RetryAfter time.Duration
	// ServerErrorRate is the fraction (0..1) of Graph requests answered 503.
	ServerErrorRate float64
	// LagReads makes a newly created application, service principal,
	// federated credential or secret invisible for this many reads: reads
	// answer 404 Request_ResourceNotFound, creating a service principal for a
	// lagging application answers NoBackingApplicationObject, and a token
	// request with a lagging secret fails as if the secret were wrong.
	LagReads int
	// LagFor makes new objects invisible for this long instead (or as well:
	// an object is visible when both have passed).
	LagFor time.Duration
}

// FailRule makes the next matching request(s) fail. It matches requests, and
// $batch items, whose method equals Method (any when empty) and whose path
// (starting at /v1.0 or /beta for Graph) contains PathContains. The request has no
// effect: the failure is answered before it is handled.
type FailRule struct {
	Method, PathContains string
	// Status defaults to 500.
	Status int
	// Code and Message default to Graph's for the status.
	Code, Message string
	// Times is how many requests fail (default 1).
	Times int
	// Effect makes the request take effect before its answer is replaced
	// by the failure: a write whose answer was lost (a 5xx from a gateway
	// after the directory committed it).
	Effect bool
}

// SetFaults replaces the injected faults.
func (s *Server) SetFaults(f Faults) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.faults = f
}

// FailNext queues a one-off failure. Rules are matched in the order queued.
func (s *Server) FailNext(r FailRule) {
	if r.Times <= 0 {
		r.Times = 1
	}
	if r.Status == 0 {
		r.Status = http.StatusInternalServerError
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.rules = append(s.rules, &r)
}

func (s *Server) currentFaults() Faults {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.faults
}

// chance draws from the seeded generator: true with probability p.
func (s *Server) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.rng.Float64() < p
}

// takeRule consumes a matching FailRule, if any.
func (s *Server) takeRule(method, path string) (FailRule, bool) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	for i, r := range s.rules {
		if r.Method != "" && !strings.EqualFold(r.Method, method) {
			continue
		}
		if !strings.Contains(path, r.PathContains) {
			continue
		}
		r.Times--
		out := *r
		if r.Times <= 0 {
			s.rules = append(s.rules[:i], s.rules[i+1:]...)
		}
		return out, true
	}
	return FailRule{}, false
}

// injected returns the failure to answer instead of handling a Graph
// request or $batch item, or nil. outer says whether this is an HTTP request
// (server errors are injected only there).
func (s *Server) injected(r *request, outer bool, h handler) *response {
	if rule, ok := s.takeRule(r.method, "/"+r.version+r.path); ok {
		if rule.Effect {
			h(r)
		}
		code, msg := rule.Code, rule.Message
		if code == "" || msg == "" {
			dc, dm := defaultError(rule.Status)
			if code == "" {
				code = dc
			}
			if msg == "" {
				msg = dm
			}
		}
		if rule.Status == http.StatusTooManyRequests {
			resp := s.throttled(r, s.currentFaults().RetryAfter)
			e := resp.body.(map[string]any)["error"].(map[string]any)
			e["code"], e["message"] = code, msg
			return resp
		}
		resp := s.graphError(r, rule.Status, code, msg)
		if rule.Status == http.StatusServiceUnavailable {
			resp.header.Set("Retry-After", retryAfter(s.currentFaults().RetryAfter))
		}
		return resp
	}
	f := s.currentFaults()
	if outer && s.chance(f.ServerErrorRate) {
		resp := s.graphError(r, http.StatusServiceUnavailable, "ServiceUnavailable", "The service is temporarily unavailable. Please retry later.")
		resp.header.Set("Retry-After", retryAfter(f.RetryAfter))
		return resp
	}
	if s.chance(f.ThrottleRate) {
		return s.throttled(r, f.RetryAfter)
	}
	return nil
}

// throttled is Graph's 429 answer (concepts/throttling.md).
func (s *Server) throttled(r *request, after time.Duration) *response {
	resp := s.graphError(r, http.StatusTooManyRequests, "TooManyRequests", "Please retry again later.")
	inner := resp.body.(map[string]any)["error"].(map[string]any)["innerError"].(map[string]any)
	inner["code"] = "429"
	inner["message"] = "Please retry after"
	inner["status"] = "429"
	resp.header.Set("Retry-After", retryAfter(after))
	return resp
}

// retryAfter renders a duration as Retry-After seconds ("0", "2", "2.5").
func retryAfter(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

func defaultError(status int) (code, message string) {
	switch status {
	case http.StatusBadRequest:
		return "Request_BadRequest", "Invalid request."
	case http.StatusUnauthorized:
		return "InvalidAuthenticationToken", "Access token validation failure."
	case http.StatusForbidden:
		return "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
	case http.StatusNotFound:
		return "Request_ResourceNotFound", "Resource does not exist or one of its queried reference-property objects are not present."
	case http.StatusConflict:
		return "Request_MultipleObjectsWithSameKeyValue", "Another object with the same value for property already exists."
	case http.StatusTooManyRequests:
		return "TooManyRequests", "Please retry again later."
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable", "The service is temporarily unavailable. Please retry later."
	case http.StatusGatewayTimeout:
		return "GatewayTimeout", "The gateway did not receive a timely response."
	default:
		return "UnknownError", "An unexpected error occurred."
	}
}

// visibility is the replication lag of one new object.
type visibility struct {
	reads int       // remaining invisible reads
	until time.Time // invisible before this instant
}

// newVisibility starts the lag of an object created now under the current
// faults. Objects created directly through the Go API never lag.
func (s *Server) newVisibility() visibility {
	f := s.currentFaults()
	v := visibility{reads: f.LagReads}
	if f.LagFor > 0 {
		v.until = s.now().Add(f.LagFor)
	}
	return v
}

// seen reports whether an object is visible to a read, counting the read
// against its lag. The caller holds s.mu.
func (s *Server) seen(v *visibility) bool {
	lagging := false
	if v.reads > 0 {
		v.reads--
		lagging = true
	}
	if !v.until.IsZero() && s.now().Before(v.until) {
		lagging = true
	}
	return !lagging
}

// newRand returns the seeded generator for fault decisions.
func newRand(seed int64) *rand.Rand {
	if seed == 0 {
		seed = 20240601
	}
	return rand.New(rand.NewSource(seed))
}
