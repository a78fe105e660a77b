package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/appreg/appreg/internal/action"
	"github.com/appreg/appreg/internal/graph"
	"github.com/appreg/appreg/internal/spec"
)

// tenantSigner is what the tenant check needs of the Graph client.
type tenantSigner interface {
	SignedInTenant(ctx context.Context) (string, error)
}

// checkTenant signs in and refuses to go on when the credential's tenant
// (its token's tid claim) is not the tenant appreg.yaml names, before
// anything in the tenant is read or written. config names the settings file
// in the error; getenv reads the credential variables for the hint of a
// failed sign-in.
func checkTenant(ctx context.Context, g tenantSigner, config, want string, getenv func(string) string) error {
	return checkTenantHint(ctx, g, config, want, getenv, "")
}

// actionCredentialHint is what a failed sign-in of the Action says to check:
// its inputs, not environment variables.
const actionCredentialHint = "check the tenant-id and client-id inputs and client-secret, or, without client-secret, " +
	"the job's `permissions: id-token: write` and a federated credential on that app whose subject matches the job"

// checkTenantHint is checkTenant with a fixed hint for a failed sign-in
// ("": from the AZURE_* variables getenv reads).
func checkTenantHint(ctx context.Context, g tenantSigner, config, want string, getenv func(string) string, hint string) error {
	got, err := g.SignedInTenant(ctx)
	var signIn *graph.SignInError
	if errors.As(err, &signIn) && hint != "" {
		return errors.New(signIn.Error() + "; " + hint)
	}
	if errors.As(err, &signIn) {
		if noCredentialEnv(getenv) {
			// DefaultAzureCredential tried them all; its first complaint
			// (a missing variable) is not the point.
			return errors.New("signing in to Microsoft Entra ID: no credential (no AZURE_* variables, no Azure CLI sign-in, no managed identity); " + credentialHint(getenv))
		}
		return errors.New(signIn.Error() + "; " + credentialHint(getenv))
	}
	if err != nil {
		return fmt.Errorf("signing in to Microsoft Entra ID: %w", err)
	}
	if want != "" && !strings.EqualFold(got, want) {
		return fmt.Errorf("%s names tenant %s, but the credential signs in to tenant %s: nothing was read or changed; "+
			"set AZURE_TENANT_ID (and the client of that tenant) to %s, or correct tenantId in %s", config, want, got, want, config)
	}
	return nil
}

// credentialHint says which variables to set, given which are set.
func credentialHint(getenv func(string) string) string {
	tenant, client := getenv("AZURE_TENANT_ID") != "", getenv("AZURE_CLIENT_ID") != ""
	secret, federated := getenv("AZURE_CLIENT_SECRET") != "", getenv("AZURE_FEDERATED_TOKEN_FILE") != ""
	switch {
	case tenant && client && secret:
		return "check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a secret's value, not its id) and AZURE_AUTHORITY_HOST"
	case tenant && client && federated:
		return "check AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE and the federated credential's issuer, subject and audience"
	case noCredentialEnv(getenv):
		return "set AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE, or sign in with 'az login'"
	}
	var missing []string
	for _, v := range []struct {
		name string
		set  bool
	}{{"AZURE_TENANT_ID", tenant}, {"AZURE_CLIENT_ID", client}} {
		if !v.set {
			missing = append(missing, v.name)
		}
	}
	if !secret && !federated {
		missing = append(missing, "AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE")
	}
	return "set " + strings.Join(missing, " and ") + " (or unset them all to sign in with 'az login')"
}

// actionTenant is the tenantId of the Action run's appreg.yaml ("" when it
// cannot be read: then validation reports the file, and no tenant is
// compared).
func actionTenant(o *action.Options) string {
	cfg := o.Config
	if o.Workspace != "" && !filepath.IsAbs(cfg) {
		cfg = filepath.Join(o.Workspace, cfg)
	}
	s, diags := spec.LoadSettings(cfg)
	if diags.HasErrors() {
		return ""
	}
	return s.TenantID
}

func noCredentialEnv(getenv func(string) string) bool {
	for _, v := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE"} {
		if getenv(v) != "" {
			return false
		}
	}
	return true
}
