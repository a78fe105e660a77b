package advice

import (
	"fmt"
	"strings"
	"time"

	"github.com/appreg/appreg/internal/appreg"
)

// userSignIn reports whether a user can sign in to the application: it has
// a redirect URI on some platform, allows public client flows, or exposes
// scopes (a web API calling on behalf of its caller). A platform the file
// leaves unmanaged is taken from the tenant when known.
func userSignIn(want, have *appreg.Registration) bool {
	if have == nil {
		have = &appreg.Registration{}
	}
	var wantWeb, haveWeb, wantSPA, haveSPA, wantPub, havePub []string
	if want.Web != nil {
		wantWeb = want.Web.RedirectURIs
	}
	if have.Web != nil {
		haveWeb = have.Web.RedirectURIs
	}
	if want.SPA != nil {
		wantSPA = want.SPA.RedirectURIs
	}
	if have.SPA != nil {
		haveSPA = have.SPA.RedirectURIs
	}
	var flows *bool
	if want.PublicClient != nil {
		wantPub, flows = want.PublicClient.RedirectURIs, want.PublicClient.AllowPublicClientFlows
	}
	if have.PublicClient != nil {
		havePub = have.PublicClient.RedirectURIs
		if flows == nil {
			flows = have.PublicClient.AllowPublicClientFlows
		}
	}
	var wantScopes, haveScopes []appreg.Scope
	if want.API != nil {
		wantScopes = want.API.Scopes
	}
	if have.API != nil {
		haveScopes = have.API.Scopes
	}
	return len(pick(wantWeb, haveWeb)) > 0 || len(pick(wantSPA, haveSPA)) > 0 || len(pick(wantPub, havePub)) > 0 ||
		flows != nil && *flows || len(pick(wantScopes, haveScopes)) > 0
}

// pick is the desired list when the file manages it, else the observed one.
func pick[T any](want, have []T) []T {
	if want != nil {
		return want
	}
	return have
}

// hasCredential reports whether the application can sign in as itself: a
// federated credential or a client secret, declared or in the tenant.
func hasCredential(want, have *appreg.Registration) bool {
	if c := want.Credentials; c != nil && len(c.Federated)+len(c.Secrets) > 0 {
		return true
	}
	if have == nil {
		return false
	}
	if c := have.Credentials; c != nil && len(c.Federated) > 0 {
		return true
	}
	return have.Observed != nil && len(have.Observed.Passwords) > 0
}

// resourceAppID is the application id a permissions entry names, when known
// without the tenant: resolved, a well-known alias, or an appId.
func resourceAppID(p appreg.Permission) string {
	if p.ResourceAppID != "" {
		return p.ResourceAppID
	}
	if id, ok := appreg.KnownAPIs[p.API]; ok {
		return id
	}
	return p.API
}

// consented reports whether the tenant has admin consent for every
// application permission of p.
func consented(p appreg.Permission, have *appreg.Registration) bool {
	if have == nil {
		return false
	}
	for _, h := range have.Permissions {
		if !strings.EqualFold(resourceAppID(h), resourceAppID(p)) {
			continue
		}
		for _, v := range p.Application {
			if !containsFold(h.ConsentedApplication, v) {
				return false
			}
		}
		return true
	}
	return false
}

func containsFold(list []string, v string) bool {
	for _, s := range list {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

// days renders a duration in whole days, e.g. "365d".
func days(d time.Duration) string {
	return fmt.Sprintf("%dd", d/(24*time.Hour))
}
