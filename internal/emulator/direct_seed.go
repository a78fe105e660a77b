package emulator

import "fmt"

// AddFederatedCredential adds a federated identity credential to an
// application (by object id, appId or uniqueName), with Graph's validation,
// as a portal edit would: no HTTP, no faults. Benchmarks use it to seed large
// tenants quickly.
func (s *Server) AddFederatedCredential(key string, props map[string]any) (map[string]any, error) {
	body, ok := normalize(props).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("adding federated credential to %q: properties must be an object", key)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.t.appByAnyKey(key)
	if a == nil {
		return nil, fmt.Errorf("adding federated credential to %q: %w", key, errNotFound(key))
	}
	f, err := s.writeFIC(a, nil, body)
	if err != nil {
		return nil, fmt.Errorf("adding federated credential to %q: %w", key, err)
	}
	return s.ficJSON(a, f), nil
}

// PatchServicePrincipal updates the service principal of an appId with
// Graph's PATCH semantics and validation, as a portal edit would.
func (s *Server) PatchServicePrincipal(appID string, props map[string]any) error {
	body, ok := normalize(props).(map[string]any)
	if !ok {
		return fmt.Errorf("patching service principal of %s: properties must be an object", appID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sp := s.t.sp(appID, true)
	if sp == nil {
		return fmt.Errorf("patching service principal of %s: %w", appID, errNotFound(appID))
	}
	if err := s.patchSP(sp, body); err != nil {
		return fmt.Errorf("patching service principal of %s: %w", appID, err)
	}
	return nil
}

// AddOwner makes a user (by user principal name or object id) an owner of
// an application (by object id, appId or uniqueName), as a portal edit
// would. A user who is an owner already is refused, as Graph does.
func (s *Server) AddOwner(key, user string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.t.appByAnyKey(key)
	if a == nil {
		return fmt.Errorf("adding owner to %q: %w", key, errNotFound(key))
	}
	u := s.t.user(user)
	if u == nil {
		return fmt.Errorf("adding owner to %q: %w", key, errNotFound(user))
	}
	if err := s.addOwner(&a.owners, u.id()); err != nil {
		return fmt.Errorf("adding owner %s to %q: %w", user, key, err)
	}
	return nil
}
