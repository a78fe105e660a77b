package graph_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/appreg/appreg/internal/emulator"
	"github.com/appreg/appreg/internal/graph"
)

// userCredential hands out the token Entra gives a user signed in through
// Azure CLI, as DefaultAzureCredential does on a laptop.
type userCredential struct {
	srv *emulator.Server
	upn string
}

func (u userCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := u.srv.UserToken(u.upn, "Application.ReadWrite.All", "User.Read.All")
	return azcore.AccessToken{Token: tok, ExpiresOn: time.Now().Add(time.Hour)}, err
}

// Signed in as a user, appreg's "own" principal is that person: it is not
// labelled sp:<appid> and not added as owner of every application.
func TestSelfOfAUserSignInIsNoOwner(t *testing.T) {
	t.Parallel()
	srv, err := emulator.Start(emulator.Options{Users: []string{"alice@contoso.com"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	var log bytes.Buffer
	c, err := graph.New(graph.Options{URL: srv.GraphURL(), Credential: userCredential{srv, "alice@contoso.com"}, Transport: srv.Client().Transport, Repository: testRepo,
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	self, err := c.Self(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if self.ID != "" || self.Ref != "" {
		t.Errorf("Self of a user sign-in = %+v, want no owner", self)
	}
	if !strings.Contains(log.String(), "signed in as a user") {
		t.Errorf("appreg does not say what it does for a user sign-in: %q", log.String())
	}
	// The user's token works for Graph (delegated scopes).
	if _, err := c.ReadManaged(t.Context(), "contoso-", nil, nil); err != nil {
		t.Errorf("reading as the user: %v", err)
	}
}
