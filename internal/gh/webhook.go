package gh

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"

	"github.com/google/go-github/v62/github"
)

// ErrSignature is returned by VerifyWebhook when the request is not signed
// with the webhook secret (or not signed at all). Its text says nothing
// about what was expected.
var ErrSignature = errors.New("webhook signature does not match")

// VerifyWebhook checks that r carries a payload signed with secret
// (X-Hub-Signature-256: sha256=HMAC-SHA256(secret, body)) and returns the
// event name (X-GitHub-Event), the delivery id (X-GitHub-Delivery) and the
// payload. A JSON or form-encoded body is accepted, as GitHub sends either.
// An empty secret refuses every request.
//
// See https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries.
func VerifyWebhook(r *http.Request, secret []byte) (event, delivery string, payload []byte, err error) {
	// go-github accepts sha1= and sha512= in this header too; GitHub
	// sends only sha256= in X-Hub-Signature-256, so nothing else is let in.
	sig, ok := strings.CutPrefix(r.Header.Get(github.SHA256SignatureHeader), "sha256=")
	if len(secret) == 0 || !ok || len(sig) != sha256.Size*2 {
		return "", "", nil, ErrSignature
	}
	payload, err = github.ValidatePayload(r, secret)
	if err != nil {
		return "", "", nil, ErrSignature
	}
	return github.WebHookType(r), github.DeliveryID(r), payload, nil
}
