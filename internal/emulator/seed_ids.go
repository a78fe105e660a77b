package emulator

import (
	"fmt"
	"strings"
)

// CreateApplicationWithIDs creates an application as CreateApplication
// does, with Graph's validation, but keeps the object id and appId given
// instead of new ones: it rebuilds a tenant another tool recorded, such as
// the applications of a Terraform state written against an emulator.
func (s *Server) CreateApplicationWithIDs(objectID, appID string, props map[string]any) (map[string]any, error) {
	body, ok := normalize(props).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("creating application %s: properties must be an object", appID)
	}
	if !isGUID(objectID) || !isGUID(appID) {
		return nil, fmt.Errorf("creating application: object id %q and appId %q must be GUIDs", objectID, appID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.t.appByAnyKey(objectID) != nil || s.t.appByAnyKey(appID) != nil {
		return nil, fmt.Errorf("creating application %s: an application with that object id or appId exists", appID)
	}
	a, err := s.createApp(body, "", false)
	if err != nil {
		return nil, fmt.Errorf("creating application %s: %w", appID, err)
	}
	s.t.removeApp(a)
	a.props["id"], a.props["appId"] = strings.ToLower(objectID), strings.ToLower(appID)
	s.t.addApp(a)
	return clone(a.props).(map[string]any), nil
}

// CreateServicePrincipalWithID creates the service principal of an
// application in the tenant as CreateServicePrincipal does, keeping the
// object id given (see CreateApplicationWithIDs).
func (s *Server) CreateServicePrincipalWithID(objectID, appID string) (map[string]any, error) {
	if !isGUID(objectID) {
		return nil, fmt.Errorf("creating service principal for %s: object id %q must be a GUID", appID, objectID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.t.sp(objectID, false) != nil {
		return nil, fmt.Errorf("creating service principal for %s: object id %s is in use", appID, objectID)
	}
	sp, err := s.createSP(map[string]any{"appId": appID}, false)
	if err != nil {
		return nil, fmt.Errorf("creating service principal for %s: %w", appID, err)
	}
	s.t.removeSP(sp)
	sp.props["id"] = strings.ToLower(objectID)
	s.t.addSP(sp)
	return clone(sp.props).(map[string]any), nil
}
