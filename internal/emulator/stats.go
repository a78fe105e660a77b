package emulator

// Stats returns how many requests were received per method and normalized
// path ("GET /v1.0/applications/{id}"), with $batch items counted separately
// under a "batch:" prefix ("batch:GET /v1.0/applications/{id}/owners") in
// addition to the outer "POST /v1.0/$batch". Token endpoint calls are counted
// as "POST /{tenant}/oauth2/v2.0/token".
func (s *Server) Stats() map[string]int {
	s.smu.Lock()
	defer s.smu.Unlock()
	out := make(map[string]int, len(s.stats))
	for k, v := range s.stats {
		out[k] = v
	}
	return out
}

// TotalRequests returns the number of HTTP requests received (outer
// requests only: a $batch counts once), including token endpoint calls.
func (s *Server) TotalRequests() int {
	s.smu.Lock()
	defer s.smu.Unlock()
	return s.total
}

// ResetStats clears the request counts.
func (s *Server) ResetStats() {
	s.smu.Lock()
	defer s.smu.Unlock()
	s.stats = map[string]int{}
	s.total = 0
}

func (s *Server) count(key string, outer bool) {
	s.smu.Lock()
	defer s.smu.Unlock()
	s.stats[key]++
	if outer {
		s.total++
	}
}
