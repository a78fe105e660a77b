package emulator

import (
	"net/http"
	"testing"
)

func TestGroupMembersAndMemberOf(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Users: []string{"alice@contoso.com"}})
	c := newClient(t, s)
	g := c.must(http.StatusCreated, "POST", "/groups", map[string]any{
		"displayName": "Power BI automation", "mailEnabled": false, "mailNickname": "powerbi-automation", "securityEnabled": true,
	})
	gid := g["id"].(string)
	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "reports"})
	sp := c.must(http.StatusCreated, "POST", "/servicePrincipals", map[string]any{"appId": app["appId"]})
	spID := sp["id"].(string)

	found := c.must(http.StatusOK, "GET", "/groups?$filter=displayName%20eq%20'Power%20BI%20automation'&$select=id,displayName", nil)
	if v := found["value"].([]any); len(v) != 1 || v[0].(map[string]any)["id"] != gid {
		t.Fatalf("group by display name: %v", found)
	}
	ref := map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + spID}
	c.must(http.StatusNoContent, "POST", "/groups/"+gid+"/members/$ref", ref)
	// Graph refuses a duplicate member with 400.
	if status, _, body := c.do("POST", "/groups/"+gid+"/members/$ref", ref); status != http.StatusBadRequest || errCode(body) != "Request_BadRequest" {
		t.Errorf("duplicate member: %d %v", status, body)
	}
	members := c.must(http.StatusOK, "GET", "/groups/"+gid+"/members", nil)["value"].([]any)
	if len(members) != 1 || members[0].(map[string]any)["@odata.type"] != "#microsoft.graph.servicePrincipal" {
		t.Errorf("members: %v", members)
	}
	memberOf := c.must(http.StatusOK, "GET", "/servicePrincipals/"+spID+"/memberOf", nil)["value"].([]any)
	if len(memberOf) != 1 || memberOf[0].(map[string]any)["id"] != gid || memberOf[0].(map[string]any)["@odata.type"] != "#microsoft.graph.group" {
		t.Errorf("memberOf: %v", memberOf)
	}
	c.must(http.StatusNoContent, "DELETE", "/groups/"+gid+"/members/"+spID+"/$ref", nil)
	if status, _, body := c.do("DELETE", "/groups/"+gid+"/members/"+spID+"/$ref", nil); status != http.StatusNotFound {
		t.Errorf("removing a non-member: %d %v, want 404", status, body)
	}
	// Required properties of POST /groups.
	if status, _, body := c.do("POST", "/groups", map[string]any{"displayName": "x", "securityEnabled": true}); status != http.StatusBadRequest {
		t.Errorf("group without mailEnabled and mailNickname: %d %v", status, body)
	}
}

func TestAppRoleAssignedToGroupsAndUsers(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Users: []string{"alice@contoso.com"}})
	c := newClient(t, s)
	roleID := "5b7ac3c6-3a5c-4e06-a1c6-6b0e7f1a0c11"
	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{
		"displayName": "hub",
		"appRoles": []any{map[string]any{
			"id": roleID, "value": "Hub.Admin", "displayName": "Admin", "description": "Admin",
			"allowedMemberTypes": []any{"User"}, "isEnabled": true,
		}},
	})
	sp := c.must(http.StatusCreated, "POST", "/servicePrincipals", map[string]any{"appId": app["appId"]})
	gid, err := s.CreateGroup("Data Science")
	if err != nil {
		t.Fatal(err)
	}
	alice := s.AddUser("alice@contoso.com")
	path := "/servicePrincipals/" + sp["id"].(string) + "/appRoleAssignedTo"
	got := c.must(http.StatusCreated, "POST", path, map[string]any{"principalId": gid, "resourceId": sp["id"], "appRoleId": defaultAccessRoleID})
	if got["principalType"] != "Group" || got["principalDisplayName"] != "Data Science" {
		t.Errorf("group assignment: %v", got)
	}
	got = c.must(http.StatusCreated, "POST", path, map[string]any{"principalId": alice, "resourceId": sp["id"], "appRoleId": roleID})
	if got["principalType"] != "User" {
		t.Errorf("user assignment: %v", got)
	}
	// An app role for users only cannot go to a service principal.
	other := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "other"})
	otherSP := c.must(http.StatusCreated, "POST", "/servicePrincipals", map[string]any{"appId": other["appId"]})
	if status, _, body := c.do("POST", path, map[string]any{"principalId": otherSP["id"], "resourceId": sp["id"], "appRoleId": roleID}); status != http.StatusBadRequest {
		t.Errorf("user-only role to a service principal: %d %v", status, body)
	}
}
