package emulator

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
)

// SeedFile is what `appreg emulator --seed FILE` reads: applications that
// exist before appreg manages anything (clicked together in the portal), so
// that import and adoption can be tried. Each application is Graph JSON as
// POST /applications takes it, plus an optional "appId" (which Graph
// assigns, and a seed may fix so that instructions can name it).
type SeedFile struct {
	Applications []map[string]any `json:"applications"`
}

// LoadSeedFile reads a SeedFile (JSON).
func LoadSeedFile(path string) (*SeedFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading seed file: %w", err)
	}
	var f SeedFile
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("reading seed file %s: %w (want {\"applications\": [{\"displayName\": …}, …]})", path, err)
	}
	return &f, nil
}

// SeedApplications creates each application of f with Graph's validation,
// with its service principal, and returns their appIds in order.
func (s *Server) SeedApplications(f *SeedFile) ([]string, error) {
	var ids []string
	for i, props := range f.Applications {
		props = clone(props).(map[string]any)
		want, _ := props["appId"].(string)
		delete(props, "appId")
		if want != "" && !appreg.IsGUID(want) {
			return ids, fmt.Errorf("seeding application %d: appId %q is not a GUID", i+1, want)
		}
		app, err := s.CreateApplication(props)
		if err != nil {
			return ids, fmt.Errorf("seeding application %d (%v): %w", i+1, props["displayName"], err)
		}
		id := str(app["appId"])
		if want != "" {
			if id, err = s.setAppID(id, strings.ToLower(want)); err != nil {
				return ids, fmt.Errorf("seeding application %d (%v): %w", i+1, props["displayName"], err)
			}
		}
		if _, err := s.CreateServicePrincipal(id); err != nil {
			return ids, fmt.Errorf("seeding application %d (%v): %w", i+1, props["displayName"], err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// setAppID gives a just-created application the appId a seed asks for.
func (s *Server) setAppID(from, to string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.t.appsByAppID[to] != nil {
		return "", fmt.Errorf("appId %s exists already", to)
	}
	a := s.t.appsByAppID[strings.ToLower(from)]
	s.t.removeApp(a)
	a.props["appId"] = to
	s.t.addApp(a)
	return to, nil
}
