package gh

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v62/github"
)

// APIError is an unsuccessful GitHub REST response, reduced to what callers
// act on and what a person needs to read. Callers test for it with errors.As
// or use IsNotFound and StatusCode.
type APIError struct {
	// StatusCode is the HTTP status GitHub answered with.
	StatusCode int
	// Message is GitHub's message followed by any validation details, for
	// example "Validation Failed: Body is too long (maximum is 65536 characters)".
	Message string
	// RequestID is GitHub's X-GitHub-Request-Id, for support requests.
	RequestID string
	// RateLimited reports a primary or secondary rate limit that did not
	// clear within the client's retry bounds.
	RateLimited bool
	// RetryAt is when a rate limit is expected to clear, if known.
	RetryAt time.Time

	err error
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "github answered %d", e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		fmt.Fprintf(&b, " %s", t)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RateLimited && !e.RetryAt.IsZero() {
		fmt.Fprintf(&b, " (rate limited until %s)", e.RetryAt.UTC().Format(time.RFC3339))
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	return b.String()
}

// Unwrap returns the underlying go-github error.
func (e *APIError) Unwrap() error { return e.err }

// StatusCode returns the HTTP status of the GitHub response behind err, or 0
// when err did not come from a GitHub response.
func StatusCode(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is a 404 from GitHub. GitHub also answers
// 404 when the token may not see the resource.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// apiError converts go-github's errors into *APIError and passes others
// (network errors, context cancellation) through unchanged. go-github's own
// messages include the full request URL, which is noise for a person.
func apiError(err error) error {
	if err == nil {
		return nil
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		return &APIError{
			StatusCode: statusOf(rl.Response), Message: rl.Message, RequestID: requestID(rl.Response),
			RateLimited: true, RetryAt: rl.Rate.Reset.Time, err: err,
		}
	}
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		ae := &APIError{
			StatusCode: statusOf(abuse.Response), Message: abuse.Message, RequestID: requestID(abuse.Response),
			RateLimited: true, err: err,
		}
		if abuse.RetryAfter != nil {
			ae.RetryAt = time.Now().Add(*abuse.RetryAfter)
		}
		return ae
	}
	var ie *ghinstallation.HTTPError
	if errors.As(err, &ie) && ie.Response != nil {
		return fmt.Errorf("getting a token for github app installation %d: %w", ie.InstallationID, installationError(ie))
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) {
		msg := er.Message
		var details []string
		for _, d := range er.Errors {
			switch {
			case d.Message != "":
				details = append(details, d.Message)
			case d.Field != "":
				details = append(details, fmt.Sprintf("%s %s (%s)", d.Resource, d.Field, d.Code))
			}
		}
		if len(details) > 0 {
			if msg != "" {
				msg += ": "
			}
			msg += strings.Join(details, "; ")
		}
		return &APIError{
			StatusCode: statusOf(er.Response), Message: msg, RequestID: requestID(er.Response),
			RateLimited: statusOf(er.Response) == http.StatusTooManyRequests, err: err,
		}
	}
	return err
}

// installationError reads GitHub's message from a refused installation
// token request.
func installationError(ie *ghinstallation.HTTPError) *APIError {
	defer ie.Response.Body.Close()
	var body struct {
		Message string `json:"message"`
	}
	b, _ := io.ReadAll(io.LimitReader(ie.Response.Body, 1<<16))
	if json.Unmarshal(b, &body) != nil || body.Message == "" {
		body.Message = ie.Message
	}
	return &APIError{StatusCode: ie.Response.StatusCode, Message: body.Message, RequestID: requestID(ie.Response), err: ie}
}

func statusOf(r *http.Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}

func requestID(r *http.Response) string {
	if r == nil {
		return ""
	}
	return r.Header.Get("X-GitHub-Request-Id")
}
