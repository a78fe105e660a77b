package emulator

import (
	"net/http"
	"strings"
)

// createGrant creates a delegated permission grant (apis.md §5); a second
// grant for the same client, resource and consent type is a 409. The
// caller holds s.mu.
func (s *Server) createGrant(body map[string]any) (*object, *apiError) {
	props := grantTemplate()
	for k, v := range body {
		if strings.HasPrefix(k, "@odata.") {
			continue
		}
		if !grantProps[k] && k != "expiryTime" && k != "startTime" {
			return nil, errUnknownProperty(k)
		}
		if k == "id" {
			return nil, errReadOnly(k)
		}
		if grantProps[k] {
			props[k] = v
		}
	}
	client := s.t.sp(str(props["clientId"]), false)
	if client == nil {
		return nil, errBadRequest("Invalid value specified for property 'clientId' of resource 'OAuth2PermissionGrant'.")
	}
	resource := s.t.sp(str(props["resourceId"]), false)
	if resource == nil {
		return nil, errBadRequest("Invalid value specified for property 'resourceId' of resource 'OAuth2PermissionGrant'.")
	}
	switch str(props["consentType"]) {
	case "AllPrincipals":
		if props["principalId"] != nil {
			return nil, errInvalidValue("principalId", "OAuth2PermissionGrant")
		}
	case "Principal":
		if s.t.user(str(props["principalId"])) == nil {
			return nil, errInvalidValue("principalId", "OAuth2PermissionGrant")
		}
	default:
		return nil, errInvalidValue("consentType", "OAuth2PermissionGrant")
	}
	if _, ok := props["scope"].(string); !ok && props["scope"] != nil {
		return nil, errInvalidValue("scope", "OAuth2PermissionGrant")
	}
	for _, g := range s.t.grants {
		if strings.EqualFold(str(g.props["clientId"]), client.id()) && strings.EqualFold(str(g.props["resourceId"]), resource.id()) &&
			g.props["consentType"] == props["consentType"] && strings.EqualFold(str(g.props["principalId"]), str(props["principalId"])) {
			return nil, &apiError{http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue", "Permission entry already exists."}
		}
	}
	props["id"] = newLongID()
	props["clientId"] = client.id()
	props["resourceId"] = resource.id()
	g := &object{seq: s.t.nextSeq(), props: props}
	s.t.grants[props["id"].(string)] = g
	return g, nil
}

func (s *Server) listGrants(r *request) *response {
	q, resp := s.parseList(r, "oAuth2PermissionGrant", grantProps, false)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]entry, 0, len(s.t.grants))
	for _, g := range s.t.grants {
		all = append(all, entry{seq: g.seq, props: g.props})
	}
	return s.page(r, q, "oauth2PermissionGrants", all)
}

func (s *Server) postGrant(r *request) *response {
	if err := mayGrant(r); err != nil {
		return s.fail(r, err)
	}
	body, resp := s.decodeObject(r)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.createGrant(body)
	if err != nil {
		return s.fail(r, err)
	}
	return s.created(r, g.props, "oauth2PermissionGrants")
}

func (s *Server) getGrant(r *request, id string) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.t.grants[id]
	if g == nil {
		return s.fail(r, errNotFound(id))
	}
	return s.entity(r, "oAuth2PermissionGrant", "oauth2PermissionGrants", grantProps, entry{seq: g.seq, props: g.props})
}

// patchGrant changes the scope of a grant, the only property Graph lets a
// client update.
func (s *Server) patchGrant(r *request, id string) *response {
	if err := mayGrant(r); err != nil {
		return s.fail(r, err)
	}
	body, resp := s.decodeObject(r)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.t.grants[id]
	if g == nil {
		return s.fail(r, errNotFound(id))
	}
	for k, v := range body {
		switch {
		case strings.HasPrefix(k, "@odata."):
		case k == "scope":
			sc, ok := v.(string)
			if !ok {
				return s.fail(r, errInvalidValue("scope", "OAuth2PermissionGrant"))
			}
			g.props["scope"] = sc
		case grantProps[k]:
			if !equalJSON(g.props[k], v) {
				return s.fail(r, errReadOnly(k))
			}
		default:
			return s.fail(r, errUnknownProperty(k))
		}
	}
	return noContent()
}

func equalJSON(a, b any) bool {
	as, aok := a.(string)
	bs, bok := b.(string)
	if aok && bok {
		return strings.EqualFold(as, bs)
	}
	return a == nil && b == nil
}

func (s *Server) deleteGrant(r *request, id string) *response {
	if err := mayGrant(r); err != nil {
		return s.fail(r, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.t.grants[id] == nil {
		return s.fail(r, errNotFound(id))
	}
	delete(s.t.grants, id)
	return noContent()
}
