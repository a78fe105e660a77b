package spec

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
)

// CheckIdentifierURIs checks every registration's identifier URIs against
// the tenant's verified domains, as Entra ID does when they are written
// (https://learn.microsoft.com/entra/identity-platform/identifier-uri-restrictions):
// an https URI's host must be a verified domain or a subdomain of one, and
// for an application other organisations sign in to, an api:// URI's host
// must be its appId, the tenant id, or a verified domain. Checked before any
// write, so that a plan never creates an application it then cannot give
// its URIs. read returns a file's contents (by the name in res.Files), to
// point the diagnostics at the URI's line and column; it may fail.
func CheckIdentifierURIs(res *Result, tenantID string, verified []string, read func(file string) ([]byte, error)) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, r := range res.Desired.Registrations {
		multi := r.Audience != nil && *r.Audience != appreg.AudienceMyOrg
		for _, uri := range r.IdentifierURIs {
			problem := identifierURIDomainProblem(uri, tenantID, verified, multi)
			if problem == "" {
				continue
			}
			d := diag.Diagnostic{Severity: diag.Error, File: res.Files[r.Name],
				Summary: fmt.Sprintf("identifier URI %q is not on a verified domain of tenant %s: %s", uri, tenantID, problem),
				Detail: "use api://{appId}, or verify the domain in Microsoft Entra ID (Settings → Domain names) first; " +
					"verified domains: " + strings.Join(verified, ", ")}
			if data, err := read(d.File); err == nil {
				d.Line, d.Column = locate(data, uri)
			}
			diags = append(diags, d)
		}
	}
	return diags
}

func identifierURIDomainProblem(uri, tenantID string, verified []string, multi bool) string {
	u, err := url.Parse(strings.ReplaceAll(uri, "{appId}", "00000000-0000-0000-0000-000000000000"))
	if err != nil {
		return "" // the file's validation reports it
	}
	host := strings.ToLower(u.Hostname())
	switch strings.ToLower(u.Scheme) {
	case "https":
		if !onDomain(host, verified) {
			return fmt.Sprintf("%s is not a verified domain or a subdomain of one", host)
		}
	case "api":
		if !multi || host == "00000000-0000-0000-0000-000000000000" || strings.EqualFold(host, tenantID) || onDomain(host, verified) {
			return ""
		}
		if strings.HasSuffix(uri, "/{appId}") {
			return "" // api://<string>/<appId>
		}
		return fmt.Sprintf("an application of other organisations needs api://{appId}, api://%s/…, api://…/{appId} or a verified domain, not %s", tenantID, host)
	}
	return ""
}

// onDomain reports whether host is one of domains or a subdomain of one.
func onDomain(host string, domains []string) bool {
	for _, d := range domains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// locate returns the 1-based line and column of the first occurrence of s
// in data, or 0, 0.
func locate(data []byte, s string) (int, int) {
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		return 0, 0
	}
	line := bytes.Count(data[:i], []byte("\n")) + 1
	col := i - bytes.LastIndexByte(data[:i], '\n')
	return line, col
}
