package emulator

import (
	"fmt"
	"net/http"
)

// apiError is a Graph error before it is rendered: the tenant logic returns
// it, HTTP handlers render it with graphError and the Go API returns it.
type apiError struct {
	status        int
	code, message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("graph %d %s: %s", e.status, e.code, e.message)
}

func errBadRequest(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf(format, args...)}
}

func errInvalidValue(prop, resource string) *apiError {
	return errBadRequest("Invalid value specified for property '%s' of resource '%s'.", prop, resource)
}

func errNotFound(id string) *apiError {
	return &apiError{http.StatusNotFound, "Request_ResourceNotFound",
		fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)}
}

// fail renders an apiError as a Graph error response.
func (s *Server) fail(r *request, e *apiError) *response {
	return s.graphError(r, e.status, e.code, e.message)
}
