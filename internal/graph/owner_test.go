package graph_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/emulator"
)

// TestOwnershipIsReadAndWritten: only applications tagged with the
// client's repository are Owned; writing one tags it with that repository
// and drops any other repository's tag.
func TestOwnershipIsReadAndWritten(t *testing.T) {
	t.Parallel()
	// The applications were made by others: claiming one needs
	// Application.ReadWrite.All, as for any adoption.
	srv, c := startWith(t, emulator.Options{GrantRoles: []string{"Application.ReadWrite.All"}})
	seedApp(t, srv, "contoso-mine", true) // tagged for testRepo
	if _, err := srv.CreateApplication(map[string]any{"displayName": "EU", "uniqueName": "contoso-eu-payments",
		"tags": []any{appreg.MarkerTag, appreg.RepoTag("contoso/eu")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.CreateApplication(map[string]any{"displayName": "Legacy", "uniqueName": "contoso-legacy",
		"tags": []any{appreg.MarkerTag}}); err != nil {
		t.Fatal(err)
	}
	set, err := c.ReadManaged(t.Context(), "contoso-", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range set.Registrations {
		got = append(got, fmt.Sprintf("%s owned=%v repo=%q tags=%v", r.Name, r.Observed.Owned, r.Observed.Repository, r.Tags))
	}
	want := `eu-payments owned=false repo="contoso/eu" tags=[appreg:managed]` + "\n" +
		`legacy owned=false repo="" tags=[appreg:managed]` + "\n" +
		`mine owned=true repo="contoso/apps" tags=[appreg:managed]`
	if strings.Join(got, "\n") != want {
		t.Errorf("read:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}

	// Claiming the EU application retags it.
	have := set.Get("eu-payments")
	if _, _, err := c.UpsertApplication(t.Context(), &appreg.Registration{Name: "eu-payments", UniqueName: "contoso-eu-payments", DisplayName: "EU"}, have, nil); err != nil {
		t.Fatal(err)
	}
	app, _ := srv.Application("contoso-eu-payments")
	tags := fmt.Sprint(app["tags"])
	if !strings.Contains(tags, appreg.RepoTag(testRepo)) || strings.Contains(tags, "contoso/eu") {
		t.Errorf("tags after the claim: %s", tags)
	}
	if !slices.Contains(strings.Fields(strings.Trim(tags, "[]")), appreg.MarkerTag) {
		t.Errorf("the marker is gone: %s", tags)
	}
}
