package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/appreg/appreg/internal/emulator"
	"github.com/appreg/appreg/internal/gh/ghtest"
)

func fakeGitHub(ts *testscript.TestScript) *ghtest.Server {
	return ts.Value(githubKey).(*ghtest.Server)
}

// github seeds and inspects the fake GitHub, as the action scripts' view of
// github.com:
//
//	github pr REPO NUMBER [head=SHA] [merged=SHA] [author=LOGIN] [fork]   add (or replace, keeping its reviews) a
//	                               pull request (merged=SHA: merged as commit SHA; author defaults to octocat)
//	github review REPO NUMBER USER STATE [commit=SHA]   add a review (APPROVED, CHANGES_REQUESTED, COMMENTED,
//	                               DISMISSED) by USER of the pull request's head commit, or of commit SHA
//	github team-member ORG/SLUG USER   make USER an active member of the team
//	github comments REPO NUMBER    print "comments: N", then each comment with its size; fails past 65,536 characters
//	github statuses REPO SHA       print the commit statuses on SHA, "STATE CONTEXT: DESCRIPTION"
//	github issues REPO             print "issues: N", then each issue's number, state, author, title, body and comments
//	github issue REPO USER TITLE FILE  open an issue by USER (someone other than appreg) with FILE's text as body
//	github requests METHOD TEXT    print how many requests with METHOD (or "*") had TEXT in their path
//	github branch REPO BRANCH SHA     point BRANCH of REPO at commit SHA (the default branch's head)
//	github secret-works REPO NAME APP  the value in repository secret NAME authenticates APP (a uniqueName)
//	github no-secrets              fail if any secret value (every client secret the emulator issued, the
//	                               operator's secret, the GitHub token) is in a request GitHub received, a
//	                               file in $WORK (outputs, step summary, JSON), or the last command's
//	                               stdout and stderr
func github(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: github command args...")
	}
	if neg {
		ts.Fatalf("github does not support !")
	}
	srv := fakeGitHub(ts)
	switch args[0] {
	case "pr":
		if len(args) < 3 {
			ts.Fatalf("usage: github pr REPO NUMBER [head=SHA] [merged=SHA] [author=LOGIN] [fork]")
		}
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		pr := ghtest.PullRequest{Number: n, Title: "Change app registrations"}
		for _, a := range args[3:] {
			k, v, _ := strings.Cut(a, "=")
			switch k {
			case "head":
				pr.HeadSHA = v
			case "merged":
				pr.Merged, pr.MergeCommitSHA = true, v
			case "author":
				pr.Author = v
			case "fork":
				pr.Fork = true
			default:
				ts.Fatalf("github pr: unknown argument %q", a)
			}
		}
		srv.AddPullRequest(args[1], pr)
	case "branch":
		if len(args) != 4 {
			ts.Fatalf("usage: github branch REPO BRANCH SHA")
		}
		srv.SetBranch(args[1], args[2], args[3])
	case "review":
		if len(args) < 5 {
			ts.Fatalf("usage: github review REPO NUMBER USER STATE [commit=SHA]")
		}
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		pr, ok := srv.PullRequest(args[1], n)
		if !ok {
			ts.Fatalf("github review: no pull request %s#%d", args[1], n)
		}
		rv := ghtest.Review{User: args[3], State: args[4], CommitID: pr.HeadSHA}
		for _, a := range args[5:] {
			k, v, _ := strings.Cut(a, "=")
			if k != "commit" {
				ts.Fatalf("github review: unknown argument %q", a)
			}
			rv.CommitID = v
		}
		srv.AddReview(args[1], n, rv)
	case "team-member":
		if len(args) != 3 {
			ts.Fatalf("usage: github team-member ORG/SLUG USER")
		}
		org, slug, ok := strings.Cut(args[1], "/")
		if !ok {
			ts.Fatalf("github team-member: %q is not ORG/SLUG", args[1])
		}
		srv.AddTeamMember(org, slug, args[2])
	case "comments":
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		cs := srv.Comments(args[1], n)
		fmt.Fprintf(ts.Stdout(), "comments: %d\n", len(cs))
		for _, c := range cs {
			size := utf8.RuneCountInString(c.Body)
			if size > 65536 {
				ts.Fatalf("comment %d has %d characters, over GitHub's 65,536", c.ID, size)
			}
			fmt.Fprintf(ts.Stdout(), "--- comment by %s, %d characters\n%s\n", c.User, size, c.Body)
		}
	case "issues":
		is := srv.Issues(args[1])
		fmt.Fprintf(ts.Stdout(), "issues: %d\n", len(is))
		for _, i := range is {
			fmt.Fprintf(ts.Stdout(), "--- issue #%d %s %s by %s: %s\n%s\n", i.Number, i.State, i.StateReason, i.User, i.Title, i.Body)
			for _, c := range srv.Comments(args[1], i.Number) {
				fmt.Fprintf(ts.Stdout(), "--- comment on #%d by %s\n%s\n", i.Number, c.User, c.Body)
			}
		}
	case "issue":
		srv.AddIssue(args[1], args[2], args[3], ts.ReadFile(args[4]))
	case "statuses":
		for _, s := range srv.Statuses(args[1], args[2]) {
			fmt.Fprintf(ts.Stdout(), "%s %s: %s\n", s.State, s.Context, s.Description)
		}
	case "requests":
		count := 0
		for _, r := range srv.Requests() {
			if (args[1] == "*" || r.Method == args[1]) && strings.Contains(r.Path, args[2]) {
				count++
			}
		}
		fmt.Fprintln(ts.Stdout(), count)
	case "no-secrets":
		noSecrets(ts, srv)
	case "secret-works":
		// github secret-works REPO NAME APP: the value delivered to the
		// repository secret obtains a token for APP (a uniqueName) from
		// the emulator. neg: it does not.
		value, ok := srv.Secret(ghtest.SecretTarget{Repo: args[1], Name: args[2]})
		if !ok {
			ts.Fatalf("nothing delivered to %s secret %s", args[1], args[2])
		}
		err := authenticate(server(ts), args[3], value)
		if err != nil && !neg {
			ts.Fatalf("the value in %s secret %s does not authenticate %s: %v", args[1], args[2], args[3], err)
		}
		if err == nil && neg {
			ts.Fatalf("the value in %s secret %s still authenticates %s", args[1], args[2], args[3])
		}
	default:
		ts.Fatalf("github: unknown command %q", args[0])
	}
}

// noSecrets scans everything GitHub received and everything the action
// wrote for secret values.
func noSecrets(ts *testscript.TestScript, srv *ghtest.Server) {
	emu := server(ts)
	secrets := append(emu.IssuedSecrets(), emu.Operator().ClientSecret, ts.Getenv("GITHUB_TOKEN"))
	check := func(where, text string) {
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				ts.Fatalf("a secret value (%.3s…) appears in %s", s, where)
			}
		}
	}
	reqs := srv.Requests()
	for _, r := range reqs {
		// The Authorization header is where the token belongs.
		check(fmt.Sprintf("GitHub request %s %s", r.Method, r.Path), r.Method+" "+r.Path+"\n"+r.Body)
	}
	files := 0
	ts.Check(filepath.WalkDir(ts.Getenv("WORK"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		check(path, string(data))
		return nil
	}))
	for _, name := range []string{"stdout", "stderr"} {
		sc := bufio.NewScanner(strings.NewReader(ts.ReadFile(name)))
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			line := sc.Text()
			// ::add-mask::VALUE is how a step tells the runner to hide VALUE;
			// the runner consumes the line and never shows it.
			if v, ok := strings.CutPrefix(line, "::add-mask::"); ok && isSecret(v, secrets) {
				continue
			}
			check(name, line)
		}
	}
	fmt.Fprintf(ts.Stdout(), "no secrets: %d values checked in %d GitHub requests, %d files, stdout and stderr\n", len(secrets), len(reqs), files)
}

func isSecret(v string, secrets []string) bool {
	for _, s := range secrets {
		if v == s {
			return true
		}
	}
	return false
}

// genRegistrations writes N registration files (gen-001.yaml …) with enough
// fields that a plan creating them all fills several pull request comments:
//
//	gen-registrations N
func genRegistrations(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: gen-registrations N")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	dir := ts.MkAbs("registrations")
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("gen-%03d", i)
		yaml := fmt.Sprintf(`apiVersion: appreg/v1
name: %[1]s
displayName: Generated application %03[2]d
description: Generated to make a plan larger than one pull request comment can hold; application number %[2]d of many, with a description long enough to show in the plan.
notes: Owned by the platform team. This text only adds length to the plan, which is what the test needs.
owners: [alice@contoso.com]
web:
  homePageUrl: https://app%03[2]d.contoso.com
  redirectUris: [https://app%03[2]d.contoso.com/signin-oidc, https://app%03[2]d.contoso.com/callback, https://app%03[2]d.contoso.com/auth/return]
permissions:
  - api: microsoft-graph
    delegated: [openid, profile, email, User.Read]
`, name, i)
		ts.Check(os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(yaml), 0o644))
	}
}

// authenticate obtains a Graph token for the application with the given
// uniqueName with a client secret value, the way the app itself would.
func authenticate(srv *emulator.Server, uniqueName, value string) error {
	app, ok := srv.Application(uniqueName)
	if !ok {
		return fmt.Errorf("no application %q", uniqueName)
	}
	cred, err := azidentity.NewClientSecretCredential(srv.TenantID(), fmt.Sprint(app["appId"]), value, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityHost()}, Transport: srv.Client()},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		return err
	}
	_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		return errors.New(strings.ReplaceAll(err.Error(), value, "(sensitive value)"))
	}
	return nil
}
