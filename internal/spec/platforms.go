package spec

import (
	"fmt"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/appreg/appreg/internal/appreg"
)

// forbiddenRedirectChars are the characters Entra ID rejects in redirect
// URIs (reference/apis.md §1).
const forbiddenRedirectChars = "!$'(),;"

// redirectList is one platform's redirect URIs, for the per-app limit.
type redirectList struct {
	name  string
	uris  []string
	nodes []*yaml.Node
}

// platforms decodes web, spa and publicClient and checks their redirect
// URIs together, since Graph's limit is per application.
func (rd *regDecoder) platforms(o *object) {
	r := rd.r
	var lists []redirectList
	if w := o.object("web"); w != nil {
		r.Web = &appreg.Web{
			HomePageURL: rd.webURL(w, "homePageUrl"),
			LogoutURL:   rd.webURL(w, "logoutUrl"),
		}
		if list, nodes := w.strings("redirectUris"); list != nil {
			r.Web.RedirectURIs = list
			lists = append(lists, redirectList{"web.redirectUris", list, nodes})
		}
		if g := w.object("implicitGrant"); g != nil {
			r.Web.ImplicitGrant = &appreg.ImplicitGrant{
				AccessTokens: g.boolean("accessTokens"),
				IDTokens:     g.boolean("idTokens"),
			}
		}
	}
	if s := o.object("spa"); s != nil {
		r.SPA = &appreg.SPA{}
		if list, nodes := s.strings("redirectUris"); list != nil {
			r.SPA.RedirectURIs = list
			lists = append(lists, redirectList{"spa.redirectUris", list, nodes})
		}
	}
	if p := o.object("publicClient"); p != nil {
		r.PublicClient = &appreg.PublicClient{AllowPublicClientFlows: p.boolean("allowPublicClientFlows")}
		if list, nodes := p.strings("redirectUris"); list != nil {
			r.PublicClient.RedirectURIs = list
			lists = append(lists, redirectList{"publicClient.redirectUris", list, nodes})
		}
	}

	limit := maxRedirectURIs
	if a := r.Audience; a != nil && (*a == appreg.AudienceMultipleOrgsAndPersonal || *a == appreg.AudiencePersonalMicrosoftAccount) {
		limit = maxRedirectMSA
	}
	total := 0
	for _, l := range lists {
		dups := seen{}
		for i, uri := range l.uris {
			n := l.nodes[i]
			if rd.redirectURI(n, uri, l.name) {
				rd.first(dups, uri, n, fmt.Sprintf("redirect URI %q in %s", uri, l.name))
			}
			total++
			if total == limit+1 {
				rd.report(n, fmt.Sprintf("more than %d redirect URIs", limit),
					fmt.Sprintf("Microsoft Graph allows at most %d redirect URIs per application for this audience, across web, spa and publicClient; remove some or split the application", limit))
			}
		}
	}
}

// redirectURI checks one redirect URI and reports whether it is valid.
func (rd *regDecoder) redirectURI(n *yaml.Node, uri, name string) bool {
	if !rd.maxLen(n, "redirect URI", uri, maxRedirectURI) {
		return false
	}
	if strings.Contains(uri, "*") {
		rd.report(n, fmt.Sprintf("redirect URI %q contains a wildcard", uri),
			"Entra ID matches redirect URIs exactly; list each URI in full")
		return false
	}
	if i := strings.IndexAny(uri, forbiddenRedirectChars); i >= 0 {
		rd.report(n, fmt.Sprintf("redirect URI %q contains %q, which Entra ID does not allow", uri, uri[i:i+1]),
			"remove the characters ! $ ' ( ) , ; or percent-encode them")
		return false
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" || hasSpace(uri) {
		rd.report(n, fmt.Sprintf("redirect URI %q is not an absolute URL", uri),
			"write a full URL such as https://app.contoso.com/signin-oidc")
		return false
	}
	if strings.Contains(uri, "#") {
		// Entra ID refuses a redirect URI with a fragment: the fragment is
		// where it returns tokens (response_mode=fragment). See
		// https://learn.microsoft.com/entra/identity-platform/reply-url#restrictions
		rd.report(n, fmt.Sprintf("redirect URI %q contains a fragment (#…), which Entra ID does not allow", uri),
			"remove the # and what follows it; a single-page app reads the route from state instead")
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		if u.Host == "" {
			rd.report(n, fmt.Sprintf("redirect URI %q has no host", uri), "write a full URL such as https://app.contoso.com/signin-oidc")
			return false
		}
	case "http":
		if !isLocalhost(u.Hostname()) {
			rd.report(n, fmt.Sprintf("redirect URI %q must use https", uri),
				"change http:// to https://; plain http is accepted only for localhost and 127.0.0.1")
			return false
		}
		if !rd.s.Policy.Redirects.AllowHTTPLocalhost {
			rd.report(n, fmt.Sprintf("redirect URI %q uses http, which policy does not allow", uri),
				"use https, or set policy.redirectUris.allowHttpLocalhost: true in appreg.yaml")
			return false
		}
	default:
		// Native (public client) apps receive tokens on custom schemes
		// such as msal<appId>://auth; browsers and servers need https.
		if name != "publicClient.redirectUris" {
			rd.report(n, fmt.Sprintf("redirect URI %q must use https", uri),
				"use an https URL; custom schemes are allowed only under publicClient.redirectUris")
			return false
		}
	}
	return true
}

// isLocalhost reports whether host is the loopback name or address.
func isLocalhost(host string) bool {
	return strings.EqualFold(host, "localhost") || host == "127.0.0.1" || host == "::1"
}

// webURL decodes an optional http(s) URL.
func (rd *regDecoder) webURL(o *object, key string) *string {
	s := o.optStr(key)
	if s == nil || *s == "" {
		return s
	}
	u, err := url.Parse(*s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || hasSpace(*s) {
		rd.report(o.at(key), fmt.Sprintf("%s %q is not a web address", o.child(key), *s),
			"write a full URL such as https://app.contoso.com, or \"\" to clear it")
		return nil
	}
	return s
}

// identifierURIs decodes and checks the application ID URIs.
func (rd *regDecoder) identifierURIs(o *object) {
	list, nodes := o.strings("identifierUris")
	if list == nil {
		return
	}
	rd.r.IdentifierURIs = list
	dups := seen{}
	for i, uri := range list {
		n := nodes[i]
		if !rd.maxLen(n, "identifier URI", uri, maxIdentifierURI) {
			continue
		}
		if problem := identifierURIProblem(uri); problem != "" {
			rd.report(n, fmt.Sprintf("identifier URI %q is not valid: %s", uri, problem),
				"use api://{appId} ({appId} is replaced by the application id after creation), api://<name>, or an https URL on a verified domain of the tenant")
			continue
		}
		rd.first(dups, uri, n, fmt.Sprintf("identifier URI %q", uri))
	}
}

// identifierURIProblem explains why uri cannot be an application ID URI,
// or returns "".
func identifierURIProblem(uri string) string {
	u := strings.ReplaceAll(uri, "{appId}", "00000000-0000-0000-0000-000000000000")
	switch {
	case strings.Contains(u, "*"):
		return "wildcards are not allowed"
	case hasSpace(u):
		return "it contains whitespace"
	case strings.ContainsAny(u, "{}"):
		return "the only placeholder is {appId}"
	}
	if rest, ok := strings.CutPrefix(u, "api://"); ok {
		if rest == "" || rest[0] == '/' {
			return "nothing follows api://"
		}
		if strings.ContainsAny(rest, "?#") {
			return "it must not have a query or fragment"
		}
		return ""
	}
	parsed, err := url.Parse(u)
	if err != nil || parsed.Scheme != "https" || parsed.Host == "" {
		return "it must start with api:// or be an https URL"
	}
	if parsed.RawQuery != "" || parsed.Fragment != "" {
		return "it must not have a query or fragment"
	}
	return ""
}

// info decodes the informational URLs.
func (rd *regDecoder) info(o *object) {
	i := o.object("info")
	if i == nil {
		return
	}
	rd.r.Info = &appreg.Info{
		MarketingURL:        rd.webURL(i, "marketingUrl"),
		PrivacyStatementURL: rd.webURL(i, "privacyStatementUrl"),
		SupportURL:          rd.webURL(i, "supportUrl"),
		TermsOfServiceURL:   rd.webURL(i, "termsOfServiceUrl"),
	}
}

// optionalClaims decodes the optional claims of each token type.
func (rd *regDecoder) optionalClaims(o *object) {
	c := o.object("optionalClaims")
	if c == nil {
		return
	}
	oc := &appreg.OptionalClaims{}
	oc.IDToken = rd.claims(c, "idToken")
	oc.AccessToken = rd.claims(c, "accessToken")
	oc.SAML2Token = rd.claims(c, "saml2Token")
	rd.r.OptionalClaims = oc
}

func (rd *regDecoder) claims(o *object, key string) []appreg.OptionalClaim {
	items := o.objects(key)
	if items == nil {
		return nil
	}
	out := []appreg.OptionalClaim{}
	dups := seen{}
	for _, it := range items {
		name, n, ok := it.required("name", "email")
		if !ok {
			continue
		}
		c := appreg.OptionalClaim{Name: name, Essential: it.boolean("essential")}
		if s, _, ok := it.enum("source"); ok {
			c.Source = &s
		}
		c.AdditionalProperties, _ = it.strings("additionalProperties")
		if rd.first(dups, name, n, fmt.Sprintf("optional claim %q in %s", name, o.child(key))) {
			out = append(out, c)
		}
	}
	return out
}
