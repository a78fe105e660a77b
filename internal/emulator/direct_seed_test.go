package emulator

import (
	"strings"
	"testing"
)

func TestAddOwner(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Users: []string{"alice@contoso.com"}})
	app, err := s.CreateApplication(map[string]any{"displayName": "owned"})
	if err != nil {
		t.Fatal(err)
	}
	appID := app["appId"].(string)
	if err := s.AddOwner(appID, "alice@contoso.com"); err != nil {
		t.Fatal(err)
	}
	owners := s.Owners(appID)
	if len(owners) != 1 || owners[0] != s.AddUser("alice@contoso.com") {
		t.Errorf("owners = %v, want alice's id", owners)
	}
	if err := s.AddOwner(appID, "ALICE@contoso.com"); err == nil || !strings.Contains(err.Error(), "already exist") {
		t.Errorf("adding alice twice: %v, want Graph's duplicate error", err)
	}
	if err := s.AddOwner(appID, "nobody@contoso.com"); err == nil {
		t.Error("adding an unknown user succeeded")
	}
	if err := s.AddOwner("no-such-app", "alice@contoso.com"); err == nil {
		t.Error("adding an owner to an unknown application succeeded")
	}
}
