package workflow

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/spec"
)

// ImportReader reads the applications to import.
type ImportReader interface {
	ReadManaged(ctx context.Context, prefix string, adopt []string, consent map[string]bool) (*appreg.Set, error)
}

// ImportOptions say which applications to import and how to name them.
type ImportOptions struct {
	// AppIDs are the applications to import, by appId.
	AppIDs []string
	// Names chooses the registration name of an appId (lower case);
	// otherwise it is derived from the display name.
	Names map[string]string
	// Reimport allows importing an application that a registration file
	// already adopts but that is not adopted in the tenant yet: its file is
	// written anew under the same name (appreg import --force).
	Reimport bool
}

// Imported is one registration file written for an existing application.
type Imported struct {
	AppID       string
	DisplayName string
	Name        string
	Data        []byte
	// Notes are what the user should know about the naming.
	Notes []string
}

// Import reads existing applications from the tenant and writes a
// registration file for each that adopts it as it is (spec.Encode), so that
// adoption starts from the truth (DESIGN.md §3). Nothing is written here;
// the caller writes Data to <registrations>/<Name>.yaml.
//
// Every problem is collected and returned at once as diagnostics: an appId
// the tenant does not have, an application appreg already manages (naming
// the file that manages it), one a file already adopts, a name that is
// invalid or taken, an application whose uniqueName — which Graph sets only
// once — cannot be namePrefix + a valid name. The result is all or nothing.
func Import(ctx context.Context, g ImportReader, loaded *spec.Result, o ImportOptions) ([]Imported, error) {
	s := loaded.Settings
	var ids []string
	consent := map[string]bool{}
	var diags diag.Diagnostics
	problem := func(file, summary, detail string) {
		diags = append(diags, diag.Diagnostic{Severity: diag.Error, Summary: summary, Detail: detail, File: file})
	}
	for _, id := range o.AppIDs {
		id = strings.ToLower(strings.TrimSpace(id))
		if !appreg.IsGUID(id) {
			problem("", fmt.Sprintf("--app-id %q is not an application id", id),
				"copy the Application (client) ID, a GUID, from the app registration's Overview page")
			continue
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
			consent[id] = true
		}
	}
	for id := range o.Names {
		if !slices.Contains(ids, id) {
			problem("", fmt.Sprintf("--name names %s, which is not imported", id), "give each --name an appId that is also passed with --app-id")
		}
	}
	if err := diags.Err(); err != nil {
		return nil, err
	}
	observed, err := g.ReadManaged(ctx, s.NamePrefix, ids, consent)
	if err != nil {
		return nil, fmt.Errorf("reading the applications to import: %w", err)
	}

	// Names in use: registrations of the repository and applications the
	// tenant has under this prefix.
	taken := map[string]string{} // name -> what uses it
	for name, file := range loaded.Files {
		taken[name] = file
	}
	byAppID := map[string]*appreg.Registration{}
	for _, r := range observed.Registrations {
		if r.Observed == nil {
			continue
		}
		byAppID[strings.ToLower(r.Observed.AppID)] = r
		if r.Name != "" && taken[r.Name] == "" {
			taken[r.Name] = fmt.Sprintf("application %s (uniqueName %q)", r.Observed.AppID, r.UniqueName)
		}
	}
	adoptedBy := map[string]*appreg.Registration{} // appId -> the file that adopts it
	for _, r := range loaded.Desired.Registrations {
		if r.Adopt != nil {
			adoptedBy[r.Adopt.AppID] = r
		}
	}

	var out []Imported
	for _, id := range ids {
		have := byAppID[id]
		if have == nil {
			problem("", fmt.Sprintf("no application with appId %s in the tenant", id),
				"check the Application (client) ID in the portal; the object id of the application or of its service principal is not it")
			continue
		}
		label := fmt.Sprintf("application %s (%q)", id, have.DisplayName)
		if have.Observed.Managed {
			if file := loaded.Files[have.Name]; have.Name != "" && file != "" {
				problem(file, label+" is already managed by appreg through this file", "edit the file instead of importing the application")
			} else if repo := have.Observed.Repository; repo != "" && !have.Observed.Owned {
				problem("", fmt.Sprintf("%s is already managed by appreg as uniqueName %q, for repository %s", label, have.UniqueName, repo),
					"its files are in that repository; to move it here, write its file here by hand: the plan shows that as a claim, which needs approval")
			} else {
				problem("", fmt.Sprintf("%s is already managed by appreg as uniqueName %q", label, have.UniqueName),
					fmt.Sprintf("no registration file here declares it; with namePrefix %q it belongs to another repository, or its file was removed", s.NamePrefix))
			}
			continue
		}
		im := Imported{AppID: id, DisplayName: have.DisplayName}
		name, wanted := o.Names[id]
		if by := adoptedBy[id]; by != nil {
			file := loaded.Files[by.Name]
			if !o.Reimport {
				problem(file, label+" is already adopted by this file (not applied yet)",
					"edit the file, or pass --force to import the application anew into it")
				continue
			}
			if wanted && name != by.Name {
				problem(file, fmt.Sprintf("--name %s=%s: %s is adopted by %s, so it keeps the name %s", id, name, label, file, by.Name),
					"rename that file and its name: first, or drop --name")
				continue
			}
			name, wanted = by.Name, true
			delete(taken, name)
		}
		if u := have.UniqueName; u != "" {
			rest, ok := strings.CutPrefix(u, s.NamePrefix)
			switch {
			case !ok || !spec.ValidName(rest):
				problem("", fmt.Sprintf("%s already has uniqueName %q, which Graph lets set only once", label, u),
					fmt.Sprintf("its registration must be named so that namePrefix + name is %q, which is impossible with namePrefix %q: adopt it from a repository whose namePrefix fits", u, s.NamePrefix))
				continue
			case wanted && name != rest:
				problem("", fmt.Sprintf("--name %s=%s: %s already has uniqueName %q, which Graph lets set only once", id, name, label, u),
					fmt.Sprintf("its registration must be named %s; drop --name", rest))
				continue
			}
			name, wanted = rest, true
			im.Notes = append(im.Notes, fmt.Sprintf("%s already has uniqueName %q, which Graph lets set only once, so its registration is named %s", label, u, rest))
		}
		switch {
		case wanted && !spec.ValidName(name):
			problem("", fmt.Sprintf("--name %s=%s: %q is not a valid registration name", id, name, name), "use 3 to 64 lowercase letters, digits and hyphens")
			continue
		case wanted && taken[name] != "":
			problem("", fmt.Sprintf("%s cannot be named %s: %s already uses that name", label, name, taken[name]), "choose another name with --name "+id+"=NAME")
			continue
		case !wanted:
			name = freeName(nameFor(have.DisplayName, id), taken)
		}
		taken[name] = label
		im.Name = name
		r := *have
		r.Name = name
		data, err := spec.Encode(&r, &s)
		if err != nil {
			problem("", fmt.Sprintf("%s cannot be written as a registration file", label), err.Error())
			continue
		}
		im.Data = data
		out = append(out, im)
	}
	if err := diags.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// nameFor derives a registration name from a display name: lower case,
// every run of other characters a hyphen, 3 to 64 characters.
func nameFor(displayName, appID string) string {
	var b strings.Builder
	hyphen := false
	for _, c := range strings.ToLower(displayName) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			hyphen = false
		} else {
			hyphen = true
		}
	}
	name := b.String()
	if len(name) > 64 {
		name = strings.TrimRight(name[:64], "-")
	}
	switch {
	case name == "":
		return "app-" + appID[:8]
	case len(name) < 3:
		return name + "-app"
	}
	return name
}

// freeName returns name, or name-2, name-3… when it is taken.
func freeName(name string, taken map[string]string) string {
	if taken[name] == "" {
		return name
	}
	for i := 2; ; i++ {
		suffix := "-" + strconv.Itoa(i)
		base := name
		if len(base)+len(suffix) > 64 {
			base = strings.TrimRight(base[:64-len(suffix)], "-")
		}
		if taken[base+suffix] == "" {
			return base + suffix
		}
	}
}
