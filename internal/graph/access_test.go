package graph_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/graph"
)

func TestResolvePrincipals(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	ds, err := srv.CreateGroup("Data Science")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.CreateGroup("Twins"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.CreateGroup("Twins"); err != nil {
		t.Fatal(err)
	}
	alice := srv.AddUser("alice@contoso.com")
	found, problems, err := c.ResolvePrincipals(t.Context(), []string{"alice@contoso.com", "nobody@contoso.com"}, []string{"Data Science", ds, "Twins", "Missing"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]graph.Principal{
		"user|alice@contoso.com": {ID: alice, Name: "alice@contoso.com"},
		"group|data science":     {ID: ds, Name: "Data Science"},
		"group|" + ds:            {ID: ds, Name: "Data Science"},
	}, found); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{
		"user|nobody@contoso.com": "no user nobody@contoso.com in the tenant",
		"group|twins":             `several groups are named "Twins": name the group by its object id`,
		"group|missing":           `no group named "Missing" in the tenant`,
	}, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestAssignmentsAndMembershipRoundTrip(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	app := seedApp(t, srv, "contoso-hub", true)
	if err := srv.PatchApplication(app["id"].(string), map[string]any{"appRoles": []any{map[string]any{
		"id": "5b7ac3c6-3a5c-4e06-a1c6-6b0e7f1a0c11", "value": "Hub.Admin", "displayName": "Admin", "description": "Admin",
		"allowedMemberTypes": []any{"User"}, "isEnabled": true,
	}}}); err != nil {
		t.Fatal(err)
	}
	sp, err := srv.CreateServicePrincipal(app["appId"].(string))
	if err != nil {
		t.Fatal(err)
	}
	spID := sp["id"].(string)
	ds, err := srv.CreateGroup("Data Science")
	if err != nil {
		t.Fatal(err)
	}
	pbi, err := srv.CreateGroup("Power BI automation")
	if err != nil {
		t.Fatal(err)
	}
	alice := srv.AddUser("alice@contoso.com")
	// Each write twice: the second finds it done.
	for range 2 {
		if err := c.AssignPrincipal(t.Context(), spID, ds, ""); err != nil {
			t.Fatal(err)
		}
		if err := c.AssignPrincipal(t.Context(), spID, alice, "5b7ac3c6-3a5c-4e06-a1c6-6b0e7f1a0c11"); err != nil {
			t.Fatal(err)
		}
		if err := c.AddMember(t.Context(), pbi, spID); err != nil {
			t.Fatal(err)
		}
	}
	set, err := c.ReadManaged(t.Context(), "contoso-", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := set.Get("hub")
	if err := c.ReadAccess(t.Context(), set.Registrations, map[string]bool{"hub": true}, map[string]bool{"hub": true}); err != nil {
		t.Fatal(err)
	}
	var got []appreg.Assignment
	for _, a := range r.ServicePrincipal.Assignments {
		a.ID = ""
		got = append(got, a)
	}
	want := []appreg.Assignment{
		{Kind: appreg.PrincipalGroup, Ref: ds, PrincipalID: ds, Name: "Data Science"},
		{Kind: appreg.PrincipalUser, Ref: alice, PrincipalID: alice, Name: "alice", Role: "Hub.Admin"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("assignments (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]appreg.GroupMembership{{Ref: pbi, ID: pbi, Name: "Power BI automation"}}, r.ServicePrincipal.MemberOf); diff != "" {
		t.Errorf("memberOf (-want +got):\n%s", diff)
	}
	for range 2 {
		if err := c.RemoveMember(t.Context(), pbi, spID); err != nil {
			t.Fatal(err)
		}
		for _, a := range r.ServicePrincipal.Assignments {
			if err := c.Unassign(t.Context(), spID, a.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if m := srv.GroupMembers(pbi); len(m) != 0 {
		t.Errorf("members left: %v", m)
	}
	if left := srv.AppRoleAssignedTo(spID); len(left) != 0 {
		t.Errorf("assignments left: %v", left)
	}
}
