package emulator

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
)

// mergeValue applies a written value onto the current value at a property
// path: complex values merge key by key (as Graph's PATCH does), collections
// and scalars are replaced, and items of known complex collections are
// completed with their defaults. Unknown keys are rejected.
func mergeValue(path string, cur, patch any) (any, *apiError) {
	tmpl, complexValue := nestedTemplates[path]
	switch p := patch.(type) {
	case map[string]any:
		if !complexValue {
			return patch, nil
		}
		base, ok := cur.(map[string]any)
		if ok {
			base = clone(base).(map[string]any)
		} else {
			base = clone(tmpl).(map[string]any)
		}
		for k, v := range p {
			if strings.HasPrefix(k, "@odata.") {
				continue
			}
			if _, known := tmpl[k]; !known {
				return nil, errUnknownProperty(k)
			}
			merged, err := mergeValue(path+"/"+k, base[k], v)
			if err != nil {
				return nil, err
			}
			base[k] = merged
		}
		return base, nil
	case []any:
		itemTmpl, ok := nestedTemplates[path+"[]"]
		if !ok {
			return clone(p), nil
		}
		out := make([]any, 0, len(p))
		for _, it := range p {
			m, ok := it.(map[string]any)
			if !ok {
				return nil, errInvalidValue(path, "Application")
			}
			item := clone(itemTmpl).(map[string]any)
			for k, v := range m {
				if strings.HasPrefix(k, "@odata.") {
					continue
				}
				if _, known := itemTmpl[k]; !known {
					return nil, errUnknownProperty(k)
				}
				merged, err := mergeValue(path+"[]/"+k, nil, v)
				if err != nil {
					return nil, err
				}
				item[k] = merged
			}
			out = append(out, item)
		}
		return out, nil
	case nil:
		if complexValue && strings.Contains(path, "/") {
			return clone(tmpl), nil
		}
		if complexValue {
			if def := applicationTemplate()[path]; def != nil {
				return clone(def), nil
			}
		}
		return nil, nil
	default:
		return patch, nil
	}
}

func errUnknownProperty(name string) *apiError {
	return errBadRequest("Property '%s' does not exist as a declared property or extension property.", name)
}

func errReadOnly(name string) *apiError {
	return errBadRequest("Property '%s' is read-only and cannot be set.", name)
}

// errEnabledPermission is Graph's answer to changing or removing an enabled
// app role or scope.
var errEnabledPermission = &apiError{http.StatusBadRequest, "CannotDeleteOrUpdateEnabledEntitlement",
	"Permission (scope or role) cannot be deleted or updated unless disabled first."}

var audiences = map[string]bool{
	audienceMyOrg: true, audienceMultipleOrgs: true,
	audienceOrgsAndMSA: true, audiencePersonalMSA: true,
}

func personalAudience(a string) bool {
	return a == audienceOrgsAndMSA || a == audiencePersonalMSA
}

// validateApp checks an application as it would be stored (after a POST or
// a PATCH merged onto old, which is nil on create) against Graph's limits
// (apis.md §1).
func (t *tenant) validateApp(p, old map[string]any, tenantID string) *apiError {
	for _, k := range []string{"displayName", "description", "notes", "serviceManagementReference", "groupMembershipClaims", "tokenEncryptionKeyId", "uniqueName", "defaultRedirectUri", "samlMetadataUrl"} {
		if v := p[k]; v != nil {
			if _, ok := v.(string); !ok {
				return errInvalidValue(k, "Application")
			}
		}
	}
	for _, k := range []string{"isFallbackPublicClient", "isDeviceOnlyAuthSupported"} {
		if v := p[k]; v != nil {
			if _, ok := v.(bool); !ok {
				return errInvalidValue(k, "Application")
			}
		}
	}
	name := str(p["displayName"])
	if strings.TrimSpace(name) == "" || len([]rune(name)) > 256 {
		return errInvalidValue("displayName", "Application")
	}
	if len([]rune(str(p["description"]))) > 1024 {
		return errInvalidValue("description", "Application")
	}
	aud := str(p["signInAudience"])
	if !audiences[aud] {
		return errInvalidValue("signInAudience", "Application")
	}
	if v := str(p["groupMembershipClaims"]); v != "" {
		for _, part := range strings.Split(v, ",") {
			switch strings.TrimSpace(part) {
			case "None", "SecurityGroup", "DirectoryRole", "ApplicationGroup", "All":
			default:
				return errInvalidValue("groupMembershipClaims", "Application")
			}
		}
	}
	for _, tag := range p["tags"].([]any) {
		s, ok := tag.(string)
		if !ok || s == "" || len([]rune(s)) > 256 || strings.ContainsAny(s, " \t\r\n") {
			return errInvalidValue("tags", "Application")
		}
	}
	if err := t.validateIdentifierURIs(p, aud, tenantID); err != nil {
		return err
	}
	if err := validateRedirects(p, aud); err != nil {
		return err
	}
	api := p["api"].(map[string]any)
	switch v := api["requestedAccessTokenVersion"].(type) {
	case nil:
		if personalAudience(aud) {
			return errBadRequest("Property api.requestedAccessTokenVersion is invalid.")
		}
	case float64:
		if v != 1 && v != 2 || personalAudience(aud) && v != 2 {
			return errBadRequest("Property api.requestedAccessTokenVersion is invalid.")
		}
	default:
		return errInvalidValue("api", "Application")
	}
	rra, _ := p["requiredResourceAccess"].([]any)
	if len(rra) > 50 {
		return errBadRequest("The number of resources in requiredResourceAccess exceeds the limit of 50.")
	}
	total := 0
	for _, it := range rra {
		m := it.(map[string]any)
		if !isGUID(str(m["resourceAppId"])) {
			return errInvalidValue("requiredResourceAccess", "Application")
		}
		for _, ra := range m["resourceAccess"].([]any) {
			ram, ok := ra.(map[string]any)
			if !ok || !isGUID(str(ram["id"])) || (ram["type"] != "Scope" && ram["type"] != "Role") {
				return errInvalidValue("requiredResourceAccess", "Application")
			}
			total++
		}
	}
	if total > 400 {
		return errBadRequest("The number of permissions in requiredResourceAccess exceeds the limit of 400.")
	}
	roles, _ := p["appRoles"].([]any)
	scopes, _ := api["oauth2PermissionScopes"].([]any)
	if len(roles)+len(scopes) > 700 {
		return errBadRequest("The number of appRoles and oauth2PermissionScopes exceeds the limit of 700.")
	}
	if err := validatePermissions(roles, "appRoles", true); err != nil {
		return err
	}
	if err := validatePermissions(scopes, "oauth2PermissionScopes", false); err != nil {
		return err
	}
	var oldScopes []any
	if old != nil {
		oldAPI, _ := old["api"].(map[string]any)
		oldScopes, _ = oldAPI["oauth2PermissionScopes"].([]any)
		oldRoles, _ := old["appRoles"].([]any)
		if !enabledKept(oldRoles, roles) || !enabledKept(oldScopes, scopes) {
			return errEnabledPermission
		}
	}
	for _, pa := range api["preAuthorizedApplications"].([]any) {
		m, _ := pa.(map[string]any)
		if !isGUID(str(m["appId"])) {
			return errInvalidValue("api", "Application")
		}
		for _, id := range m["delegatedPermissionIds"].([]any) {
			// Graph checks pre-authorized permission ids against the
			// scopes the application had before this write: a scope
			// defined in the same request body is not found
			// (microsoftgraph/microsoft-graph-docs#20177; the error as
			// reported in microsoftgraph/microsoft-graph-docs#12675).
			if !findByID(scopes, str(id)) || !findByID(oldScopes, str(id)) {
				return errUnknownPreAuthorized
			}
		}
	}
	return nil
}

// errUnknownPreAuthorized is Graph's answer to pre-authorizing a
// permission id the application does not have (yet).
var errUnknownPreAuthorized = &apiError{http.StatusBadRequest, "InvalidValue",
	"Property api.preAuthorizedApplications.delegatedPermissionIds has a Permission Id that cannot be found in the AppPermissions sets."}

func findByID(items []any, id string) bool {
	for _, it := range items {
		if m, ok := it.(map[string]any); ok && strings.EqualFold(str(m["id"]), id) {
			return true
		}
	}
	return false
}

// validatePermissions checks app roles or scopes: GUID ids, unique ids and
// values, member types and consent types.
func validatePermissions(items []any, prop string, roles bool) *apiError {
	ids, values := map[string]bool{}, map[string]bool{}
	for _, it := range items {
		m := it.(map[string]any)
		id := strings.ToLower(str(m["id"]))
		if !isGUID(id) || ids[id] {
			return errInvalidValue(prop, "Application")
		}
		ids[id] = true
		if v := str(m["value"]); v != "" {
			if values[v] || strings.ContainsAny(v, " \t") {
				return errInvalidValue(prop, "Application")
			}
			values[v] = true
		}
		if _, ok := m["isEnabled"].(bool); !ok {
			return errInvalidValue(prop, "Application")
		}
		if roles {
			types := stringsOf(m["allowedMemberTypes"])
			if len(types) == 0 {
				return errInvalidValue(prop, "Application")
			}
			for _, ty := range types {
				if ty != "User" && ty != "Application" {
					return errInvalidValue(prop, "Application")
				}
			}
		} else if ty := str(m["type"]); ty != "User" && ty != "Admin" {
			return errInvalidValue(prop, "Application")
		}
	}
	return nil
}

// enabledKept reports whether every enabled permission of before is still
// present, unchanged but for possibly being disabled.
func enabledKept(before, after []any) bool {
	for _, b := range before {
		bm := b.(map[string]any)
		if bm["isEnabled"] != true {
			continue
		}
		var am map[string]any
		for _, a := range after {
			if m := a.(map[string]any); strings.EqualFold(str(m["id"]), str(bm["id"])) {
				am = m
				break
			}
		}
		if am == nil {
			return false
		}
		x, y := clone(bm).(map[string]any), clone(am).(map[string]any)
		delete(x, "isEnabled")
		delete(y, "isEnabled")
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// validateIdentifierURIs checks form, verified domains and uniqueness in
// the tenant.
func (t *tenant) validateIdentifierURIs(p map[string]any, aud, tenantID string) *apiError {
	appID := strings.ToLower(str(p["appId"]))
	seen := map[string]bool{}
	for _, v := range p["identifierUris"].([]any) {
		s, ok := v.(string)
		if !ok || s == "" || len(s) > 255 {
			return errInvalidValue("identifierUris", "Application")
		}
		low := strings.ToLower(strings.TrimSuffix(s, "/"))
		if seen[low] {
			return errInvalidValue("identifierUris", "Application")
		}
		seen[low] = true
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" {
			return errInvalidValue("identifierUris", "Application")
		}
		ok = false
		switch strings.ToLower(u.Scheme) {
		case "api":
			ok = aud == audienceMyOrg ||
				strings.EqualFold(u.Host, appID) || strings.EqualFold(u.Host, tenantID) || t.verified(u.Host)
		case "https":
			ok = t.verified(u.Hostname())
		case "urn":
			ok = aud == audienceMyOrg
		}
		if !ok {
			return &apiError{http.StatusBadRequest, "HostNameNotOnVerifiedDomain",
				"Values of identifierUris property must use a verified domain of the organization or its subdomain: '" + s + "'"}
		}
		for _, other := range t.apps {
			if strings.EqualFold(str(other.props["id"]), str(p["id"])) {
				continue
			}
			for _, o := range stringsOf(other.props["identifierUris"]) {
				if strings.EqualFold(strings.TrimSuffix(o, "/"), strings.TrimSuffix(s, "/")) {
					return errBadRequest("Another object with the same value for property identifierUris already exists.")
				}
			}
		}
	}
	return nil
}

// verified reports whether host is a verified domain of the tenant or a
// subdomain of one.
func (t *tenant) verified(host string) bool {
	host = strings.ToLower(host)
	for d := range t.verifiedHosts {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// validateRedirects checks redirect URIs: https except loopback for web and
// spa, length, forbidden characters and counts.
func validateRedirects(p map[string]any, aud string) *apiError {
	count := 0
	for _, prop := range []string{"web", "spa", "publicClient"} {
		obj, _ := p[prop].(map[string]any)
		for _, v := range obj["redirectUris"].([]any) {
			count++
			s, ok := v.(string)
			if !ok || s == "" || len(s) > 256 || strings.ContainsAny(s, "!$'(),;") {
				return errInvalidValue(prop, "Application")
			}
			u, err := url.Parse(s)
			if err != nil || u.Scheme == "" {
				return errInvalidValue(prop, "Application")
			}
			if prop == "publicClient" {
				continue
			}
			switch strings.ToLower(u.Scheme) {
			case "https":
			case "http":
				if h := u.Hostname(); h != "localhost" && h != "127.0.0.1" && h != "::1" {
					return errInvalidValue(prop, "Application")
				}
			default:
				return errInvalidValue(prop, "Application")
			}
		}
	}
	limit := 256
	if personalAudience(aud) {
		limit = 100
	}
	if count > limit {
		return errBadRequest("The number of redirect URIs exceeds the limit of %d.", limit)
	}
	return nil
}
