package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/appreg/appreg/internal/emulator"
)

// access runs the entra subcommands about who may use an application and
// what it may touch (see entra).
func access(ts *testscript.TestScript, srv *emulator.Server, neg bool, args []string) {
	spOf := func(key string) (appID, spID string) {
		app, ok := srv.Application(key)
		if !ok {
			ts.Fatalf("no application %q", key)
		}
		sp, ok := srv.ServicePrincipal(fmt.Sprint(app["appId"]))
		if !ok {
			ts.Fatalf("application %q has no service principal", key)
		}
		return fmt.Sprint(app["appId"]), fmt.Sprint(sp["id"])
	}
	switch args[0] {
	case "arm-as":
		appID, _ := spOf(args[1])
		tok, err := srv.AppToken(appID, "https://management.azure.com/")
		ts.Check(err)
		req, err := http.NewRequest(args[2], srv.URL()+args[3], nil)
		ts.Check(err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := srv.Client().Do(req)
		ts.Check(err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var e struct {
			Error struct{ Code, Message string }
		}
		json.Unmarshal(body, &e) //nolint:errcheck // an empty body has no error
		fmt.Fprintf(ts.Stdout(), "%d %s\n%s\n", resp.StatusCode, e.Error.Code, e.Error.Message)
		if (resp.StatusCode >= 300) != neg {
			ts.Fatalf("%s %s answered %d", args[2], args[3], resp.StatusCode)
		}
	case "azure-role":
		_, spID := spOf(args[1])
		_, err := srv.AssignAzureRole(spID, args[2], args[3])
		ts.Check(err)
	case "azure-roles":
		_, spID := spOf(args[1])
		for _, a := range srv.AzureRoleAssignments(spID) {
			fmt.Fprintf(ts.Stdout(), "%s %s\n", a.Role, a.Scope)
		}
	case "assign":
		_, spID := spOf(args[1])
		ts.Check(srv.Assign(spID, args[2]))
	case "group":
		var members []string
		for _, key := range args[2:] {
			_, spID := spOf(key)
			members = append(members, spID)
		}
		_, err := srv.CreateGroup(args[1], members...)
		ts.Check(err)
	case "members":
		var names []string
		for _, id := range srv.GroupMembers(srv.GroupID(args[1])) {
			names = append(names, srv.DisplayName(id))
		}
		sort.Strings(names)
		fmt.Fprintln(ts.Stdout(), strings.Join(names, "\n"))
	case "assigned":
		_, spID := spOf(args[1])
		var lines []string
		for _, a := range srv.AppRoleAssignedTo(spID) {
			if a["principalType"] != "ServicePrincipal" {
				lines = append(lines, fmt.Sprintf("%s %s %s", a["principalType"], a["principalDisplayName"], a["appRoleId"]))
			}
		}
		sort.Strings(lines)
		fmt.Fprintln(ts.Stdout(), strings.Join(lines, "\n"))
	}
}
