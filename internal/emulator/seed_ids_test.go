package emulator

import "testing"

func TestCreateWithIDs(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	const obj, appID, spID = "a8bced40-fed6-4fa1-9b65-4a9867940251", "A23813AF-0C1B-4886-A53A-ACB975FED128", "1ffe2ba0-5980-45df-8b7f-f8e88e72fd67"
	app, err := s.CreateApplicationWithIDs(obj, appID, map[string]any{"displayName": "peer-app-0"})
	if err != nil {
		t.Fatal(err)
	}
	if app["id"] != obj || app["appId"] != "a23813af-0c1b-4886-a53a-acb975fed128" {
		t.Errorf("ids = %v, %v", app["id"], app["appId"])
	}
	if _, ok := s.Application(obj); !ok {
		t.Error("the application is not found by its object id")
	}
	if _, ok := s.Application(appID); !ok {
		t.Error("the application is not found by its appId")
	}
	if _, err := s.CreateApplicationWithIDs(obj, "22dea660-6d5c-4298-9de2-6b3db5bb6de9", map[string]any{"displayName": "again"}); err == nil {
		t.Error("a second application with the same object id was created")
	}
	if _, err := s.CreateApplicationWithIDs("not-a-guid", "22dea660-6d5c-4298-9de2-6b3db5bb6de9", map[string]any{"displayName": "x"}); err == nil {
		t.Error("an object id that is no GUID was accepted")
	}
	if _, err := s.CreateApplicationWithIDs("0e0f41c5-7a49-4d58-8c35-1b1d3d3a7e11", "22dea660-6d5c-4298-9de2-6b3db5bb6de9", map[string]any{"displayName": ""}); err == nil {
		t.Error("Graph's validation was skipped (empty displayName)")
	}
	sp, err := s.CreateServicePrincipalWithID(spID, appID)
	if err != nil {
		t.Fatal(err)
	}
	if sp["id"] != spID {
		t.Errorf("service principal id = %v", sp["id"])
	}
	if got, ok := s.ServicePrincipal(appID); !ok || got["id"] != spID {
		t.Errorf("service principal by appId = %v, %v", got["id"], ok)
	}
}
