package emulator

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// request is one Graph call, from HTTP or from a $batch item.
type request struct {
	method  string
	version string // "v1.0" or "beta"
	path    string // below the version, "/applications/{id}"
	query   url.Values
	header  http.Header
	body    []byte

	requestID       string
	clientRequestID string

	// caller is who signed the request (the outer request's for a $batch
	// item); no permissions until authenticated.
	caller *caller
}

// response is a Graph answer; body is nil for none.
type response struct {
	status int
	header http.Header
	body   any
}

const jsonContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

func newResponse(status int, body any) *response {
	h := http.Header{}
	if body != nil {
		h.Set("Content-Type", jsonContentType)
	}
	return &response{status: status, header: h, body: body}
}

func noContent() *response { return newResponse(http.StatusNoContent, nil) }

// metadataURL is the start of an @odata.context for the request's API
// version: "https://127.0.0.1:PORT/v1.0/$metadata#".
func (s *Server) metadataURL(r *request) string { return s.url + "/" + r.version + "/$metadata#" }

// graphError is an error in Graph's exact shape:
// {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
func (s *Server) graphError(r *request, status int, code, message string) *response {
	return newResponse(status, map[string]any{
		"error": map[string]any{
			"code":    code,
			"message": message,
			"innerError": map[string]any{
				"date":              s.now().UTC().Format("2006-01-02T15:04:05"),
				"request-id":        r.requestID,
				"client-request-id": r.clientRequestID,
			},
		},
	})
}

func (s *Server) badRequest(r *request, message string) *response {
	return s.graphError(r, http.StatusBadRequest, "Request_BadRequest", message)
}

func (s *Server) methodNotAllowed(r *request) *response {
	return s.graphError(r, http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
}

// readBody returns the request body, decompressed when Content-Encoding says
// gzip (kiota compresses every request body).
func readBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = r.Body
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, fmt.Errorf("reading gzip body: %w", err)
		}
		defer zr.Close()
		rd = zr
	}
	b, err := io.ReadAll(io.LimitReader(rd, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	return b, nil
}

// writeResponse writes a Graph response.
func writeResponse(w http.ResponseWriter, r *request, resp *response) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	h.Set("request-id", r.requestID)
	h.Set("client-request-id", r.clientRequestID)
	h.Set("OData-Version", "4.0")
	h.Set("Cache-Control", "no-cache")
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	b, err := json.Marshal(resp.body)
	if err != nil {
		http.Error(w, "encoding response", http.StatusInternalServerError)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(resp.status)
	w.Write(b) //nolint:errcheck // the client went away
}

// decodeObject parses a JSON object request body.
func (s *Server) decodeObject(r *request) (map[string]any, *response) {
	if len(bytes.TrimSpace(r.body)) == 0 {
		return nil, s.graphError(r, http.StatusBadRequest, "BadRequest", "Empty Payload. JSON content expected.")
	}
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil || m == nil {
		return nil, s.graphError(r, http.StatusBadRequest, "BadRequest",
			"Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
	}
	return m, nil
}

// newGUID returns a random version 4 UUID.
func newGUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("emulator: reading random bytes: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newLongID returns a 43-character base64url id like the ids Graph gives
// appRoleAssignments and oauth2PermissionGrants.
func newLongID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("emulator: reading random bytes: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// param returns an OData system query option, with or without its "$".
func param(q url.Values, name string) (string, bool) {
	if v, ok := q["$"+name]; ok && len(v) > 0 {
		return v[0], true
	}
	if v, ok := q[name]; ok && len(v) > 0 {
		return v[0], true
	}
	return "", false
}

// listQuery is the parsed query of a collection GET.
type listQuery struct {
	selectProps []string
	expandOwner bool
	top         int
	filter      *filterExpr
	search      string
	orderBy     string
	orderDesc   bool
	count       bool
	skip        int64 // sequence number after which the page starts
}

// parseList parses the query of a collection GET on entity type typeName
// (for messages) whose known properties are props.
func (s *Server) parseList(r *request, typeName string, props map[string]bool, expandable bool) (*listQuery, *response) {
	q := &listQuery{top: 100}
	eventual := strings.EqualFold(r.header.Get("ConsistencyLevel"), "eventual")
	if v, ok := param(r.query, "top"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 999 {
			return nil, s.badRequest(r, fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and 999 inclusive.", v))
		}
		q.top = n
	}
	if v, ok := param(r.query, "count"); ok {
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return nil, s.badRequest(r, "Invalid $count value.")
		}
		q.count = strings.EqualFold(v, "true")
		if q.count && !eventual {
			return nil, s.badRequest(r, "$count is not currently supported.")
		}
	}
	if v, ok := param(r.query, "skiptoken"); ok {
		n, err := decodeSkipToken(v)
		if err != nil {
			return nil, s.badRequest(r, "Invalid skip token.")
		}
		q.skip = n
	}
	if v, ok := param(r.query, "search"); ok {
		if !eventual {
			return nil, s.graphError(r, http.StatusBadRequest, "Request_UnsupportedQuery", "Search is not supported without the ConsistencyLevel header set to 'eventual'.")
		}
		q.search = v
	}
	if v, ok := param(r.query, "orderby"); ok {
		f := strings.Fields(v)
		if !eventual || len(f) == 0 || len(f) > 2 || !strings.EqualFold(f[0], "displayName") ||
			(len(f) == 2 && !strings.EqualFold(f[1], "asc") && !strings.EqualFold(f[1], "desc")) {
			return nil, s.graphError(r, http.StatusBadRequest, "Request_UnsupportedQuery", "Sorting not supported for current query.")
		}
		q.orderBy = "displayName"
		q.orderDesc = len(f) == 2 && strings.EqualFold(f[1], "desc")
	}
	if v, ok := param(r.query, "filter"); ok {
		e, err := parseFilter(v)
		if err != nil {
			return nil, s.graphError(r, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified: "+err.Error())
		}
		if e.advanced && !(eventual && q.count) {
			return nil, s.graphError(r, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for the given property.")
		}
		for _, p := range e.props() {
			if !props[p] {
				return nil, s.badRequest(r, fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.%s'.", p, typeName))
			}
		}
		q.filter = e
	}
	sel, resp := s.parseSelect(r, typeName, props)
	if resp != nil {
		return nil, resp
	}
	q.selectProps = sel
	if v, ok := param(r.query, "expand"); ok {
		if !expandable || !strings.EqualFold(strings.TrimSpace(v), "owners") {
			return nil, s.badRequest(r, fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.%s'.", v, typeName))
		}
		if eventual && (q.count || q.search != "" || q.filter != nil && q.filter.advanced) {
			return nil, s.graphError(r, http.StatusBadRequest, "Request_UnsupportedQuery", "$expand is not supported with advanced queries.")
		}
		q.expandOwner = true
		// Graph documents a page size of at most 100 for directory
		// objects listed with $expand (paging.md; known issue 13635:
		// a larger $top is cut to 100 without a word). The emulator
		// refuses the larger $top instead, so that a client relying on
		// the silent cut is found here rather than on a real tenant.
		if q.top > maxExpandPage {
			return nil, s.badRequest(r, fmt.Sprintf("Invalid page size specified: '%d'. Must be between 1 and %d inclusive when $expand is used.", q.top, maxExpandPage))
		}
	}
	return q, nil
}

// maxExpandPage is the largest page Graph serves for lists with $expand.
const maxExpandPage = 100

// parseSelect parses $select against the known properties, returning the
// canonical names.
func (s *Server) parseSelect(r *request, typeName string, props map[string]bool) ([]string, *response) {
	v, ok := param(r.query, "select")
	if !ok || strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		name, found := canonical(props, p)
		if !found {
			return nil, s.badRequest(r, fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.%s'.", p, typeName))
		}
		out = append(out, name)
	}
	return out, nil
}

// canonical finds a property name case-insensitively.
func canonical(props map[string]bool, p string) (string, bool) {
	if props[p] {
		return p, true
	}
	for k := range props {
		if strings.EqualFold(k, p) {
			return k, true
		}
	}
	return "", false
}

func encodeSkipToken(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("seq:" + strconv.FormatInt(seq, 10)))
}

func decodeSkipToken(tok string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, fmt.Errorf("decoding skip token: %w", err)
	}
	n, ok := strings.CutPrefix(string(b), "seq:")
	if !ok {
		return 0, fmt.Errorf("malformed skip token")
	}
	return strconv.ParseInt(n, 10, 64)
}

// entry is one listable object: its sequence (creation order) and its Graph
// JSON form.
type entry struct {
	seq   int64
	props map[string]any
	extra map[string]any // added after $select (e.g. expanded owners)
}

// page applies a list query to entries and renders the collection response,
// with an absolute @odata.nextLink built on the server's own URL.
func (s *Server) page(r *request, q *listQuery, context string, all []entry) *response {
	var matched []entry
	for _, e := range all {
		if q.filter != nil && !q.filter.eval(e.props) {
			continue
		}
		if q.search != "" && !matchSearch(q.search, e.props) {
			continue
		}
		matched = append(matched, e)
	}
	if q.orderBy != "" {
		sort.SliceStable(matched, func(i, j int) bool {
			a, _ := matched[i].props[q.orderBy].(string)
			b, _ := matched[j].props[q.orderBy].(string)
			if q.orderDesc {
				return strings.ToLower(a) > strings.ToLower(b)
			}
			return strings.ToLower(a) < strings.ToLower(b)
		})
	} else {
		sort.SliceStable(matched, func(i, j int) bool { return matched[i].seq < matched[j].seq })
	}
	total := len(matched)
	start := 0
	if q.skip > 0 {
		if q.orderBy != "" {
			start = int(q.skip)
		} else {
			start = sort.Search(len(matched), func(i int) bool { return matched[i].seq > q.skip })
		}
	}
	start = min(start, len(matched))
	end := min(start+q.top, len(matched))
	values := make([]any, 0, end-start)
	for _, e := range matched[start:end] {
		values = append(values, project(e, q.selectProps))
	}
	if len(q.selectProps) > 0 {
		context += "(" + strings.Join(q.selectProps, ",") + ")"
	}
	body := map[string]any{
		"@odata.context": s.metadataURL(r) + context,
		"value":          values,
	}
	if q.count {
		body["@odata.count"] = total
	}
	if end < len(matched) {
		next := url.Values{}
		for k, v := range r.query {
			if k != "$skiptoken" && k != "skiptoken" {
				next[k] = v
			}
		}
		if q.orderBy != "" {
			next.Set("$skiptoken", encodeSkipToken(int64(end)))
		} else {
			next.Set("$skiptoken", encodeSkipToken(matched[end-1].seq))
		}
		body["@odata.nextLink"] = s.url + "/" + r.version + r.path + "?" + next.Encode()
	}
	return newResponse(http.StatusOK, body)
}

// project copies an entry's properties, restricted to sel when set.
func project(e entry, sel []string) map[string]any {
	out := map[string]any{}
	if len(sel) == 0 {
		for k, v := range e.props {
			out[k] = clone(v)
		}
	} else {
		for _, k := range sel {
			out[k] = clone(e.props[k])
		}
	}
	for k, v := range e.extra {
		out[k] = v
	}
	return out
}

// entity renders one object, honouring $select.
func (s *Server) entity(r *request, typeName, context string, props map[string]bool, e entry) *response {
	sel, resp := s.parseSelect(r, typeName, props)
	if resp != nil {
		return resp
	}
	out := project(e, sel)
	if len(sel) > 0 {
		context += "(" + strings.Join(sel, ",") + ")"
	}
	out["@odata.context"] = s.metadataURL(r) + context + "/$entity"
	return newResponse(http.StatusOK, out)
}

// matchSearch implements `"prop:words"` $search clauses (joined by AND/OR
// are not supported): every word must start a word of the property.
func matchSearch(expr string, props map[string]any) bool {
	expr = strings.Trim(strings.TrimSpace(expr), `"`)
	prop, term, ok := strings.Cut(expr, ":")
	if !ok {
		return false
	}
	v, _ := props[prop].(string)
	words := strings.FieldsFunc(strings.ToLower(v), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	term = strings.ToLower(term)
	for _, w := range words {
		if strings.HasPrefix(w, term) {
			return true
		}
	}
	return strings.Contains(strings.ToLower(v), term)
}

// clone deep-copies a JSON value.
func clone(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = clone(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = clone(x)
		}
		return s
	default:
		return v
	}
}

// normalize converts a Go value into its encoding/json generic form.
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic("emulator: normalizing value: " + err.Error())
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic("emulator: normalizing value: " + err.Error())
	}
	return out
}

// keysOf returns the set of keys of a template.
func keysOf(m map[string]any) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}
