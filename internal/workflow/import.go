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
// adoption starts from the truth (README: Adopting existing apps). Nothing is written here;
// the caller writes Data to <registrations>/<Name>.yaml.
//
// Every problem is collected and returned at once as diagnostics: an appId
// the tenant does not have, an application appreg already manages (naming
// the file that manages it), one a file already adopts, a name that is
// invalid or taken, an application whose uniqueName — which Graph sets only
// once — cannot be namePrefix + a valid name. The result is all or nothing.
func Import(ctx context.Context, g ImportReader, loaded *spec.Result, o ImportOptions) ([]Imported, error) {
	im := &importer{loaded: loaded, o: o}
	ids, consent := im.appIDs()
	if err := im.diags.Err(); err != nil {
		return nil, err
	}
	observed, err := g.ReadManaged(ctx, loaded.Settings.NamePrefix, ids, consent)
	if err != nil {
		return nil, fmt.Errorf("reading the applications to import: %w", err)
	}
	im.index(observed)
	var out []Imported
	for _, id := range ids {
		if r, ok := im.one(id); ok {
			out = append(out, r)
		}
	}
	if err := im.diags.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// importer is one Import: what it knows and the problems it found.
type importer struct {
	loaded *spec.Result
	o      ImportOptions
	diags  diag.Diagnostics
	// taken maps the names in use (registrations of the repository,
	// applications the tenant has under the prefix) to what uses them.
	taken     map[string]string
	byAppID   map[string]*appreg.Registration
	adoptedBy map[string]*appreg.Registration // appId -> the file that adopts it
}

func (im *importer) problem(file, summary, detail string) {
	im.diags = append(im.diags, diag.Diagnostic{Severity: diag.Error, Summary: summary, Detail: detail, File: file})
}

// appIDs checks the application ids and names asked for.
func (im *importer) appIDs() ([]string, map[string]bool) {
	var ids []string
	consent := map[string]bool{}
	for _, id := range im.o.AppIDs {
		id = strings.ToLower(strings.TrimSpace(id))
		if !appreg.IsGUID(id) {
			im.problem("", fmt.Sprintf("--app-id %q is not an application id", id),
				"copy the Application (client) ID, a GUID, from the app registration's Overview page")
			continue
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
			consent[id] = true
		}
	}
	for id := range im.o.Names {
		if !slices.Contains(ids, id) {
			im.problem("", fmt.Sprintf("--name names %s, which is not imported", id), "give each --name an appId that is also passed with --app-id")
		}
	}
	return ids, consent
}

// index records the names in use and the applications read.
func (im *importer) index(observed *appreg.Set) {
	im.taken = map[string]string{}
	for name, file := range im.loaded.Files {
		im.taken[name] = file
	}
	im.byAppID = map[string]*appreg.Registration{}
	for _, r := range observed.Registrations {
		if r.Observed == nil {
			continue
		}
		im.byAppID[strings.ToLower(r.Observed.AppID)] = r
		if r.Name != "" && im.taken[r.Name] == "" {
			im.taken[r.Name] = fmt.Sprintf("application %s (uniqueName %q)", r.Observed.AppID, r.UniqueName)
		}
	}
	im.adoptedBy = map[string]*appreg.Registration{}
	for _, r := range im.loaded.Desired.Registrations {
		if r.Adopt != nil {
			im.adoptedBy[r.Adopt.AppID] = r
		}
	}
}

// one imports the application id, or records why it cannot.
func (im *importer) one(id string) (Imported, bool) {
	s := im.loaded.Settings
	have := im.byAppID[id]
	if have == nil {
		im.problem("", fmt.Sprintf("no application with appId %s in the tenant", id),
			"check the Application (client) ID in the portal; the object id of the application or of its service principal is not it")
		return Imported{}, false
	}
	label := fmt.Sprintf("application %s (%q)", id, have.DisplayName)
	if have.Observed.Managed {
		if file := im.loaded.Files[have.Name]; have.Name != "" && file != "" {
			im.problem(file, label+" is already managed by appreg through this file", "edit the file instead of importing the application")
		} else if repo := have.Observed.Repository; repo != "" && !have.Observed.Owned {
			im.problem("", fmt.Sprintf("%s is already managed by appreg as uniqueName %q, for repository %s", label, have.UniqueName, repo),
				"its files are in that repository; to move it here, write its file here by hand: the plan shows that as a claim, which needs approval")
		} else {
			im.problem("", fmt.Sprintf("%s is already managed by appreg as uniqueName %q", label, have.UniqueName),
				fmt.Sprintf("no registration file here declares it; with namePrefix %q it belongs to another repository, or its file was removed", s.NamePrefix))
		}
		return Imported{}, false
	}
	out := Imported{AppID: id, DisplayName: have.DisplayName}
	name, ok := im.name(id, label, have, &out)
	if !ok {
		return Imported{}, false
	}
	im.taken[name] = label
	out.Name = name
	r := *have
	r.Name = name
	data, err := spec.Encode(&r, &s)
	if err != nil {
		im.problem("", fmt.Sprintf("%s cannot be written as a registration file", label), err.Error())
		return Imported{}, false
	}
	out.Data = data
	return out, true
}

// name chooses the registration name of application id: the one a file
// adopting it has, the one its uniqueName dictates, the one --name asks
// for, or one derived from its display name.
func (im *importer) name(id, label string, have *appreg.Registration, out *Imported) (string, bool) {
	s := im.loaded.Settings
	name, wanted := im.o.Names[id]
	if by := im.adoptedBy[id]; by != nil {
		file := im.loaded.Files[by.Name]
		if !im.o.Reimport {
			im.problem(file, label+" is already adopted by this file (not applied yet)",
				"edit the file, or pass --force to import the application anew into it")
			return "", false
		}
		if wanted && name != by.Name {
			im.problem(file, fmt.Sprintf("--name %s=%s: %s is adopted by %s, so it keeps the name %s", id, name, label, file, by.Name),
				"rename that file and its name: first, or drop --name")
			return "", false
		}
		name, wanted = by.Name, true
		delete(im.taken, name)
	}
	if u := have.UniqueName; u != "" {
		rest, ok := strings.CutPrefix(u, s.NamePrefix)
		switch {
		case !ok || !spec.ValidName(rest):
			im.problem("", fmt.Sprintf("%s already has uniqueName %q, which Graph lets set only once", label, u),
				fmt.Sprintf("its registration must be named so that namePrefix + name is %q, which is impossible with namePrefix %q: adopt it from a repository whose namePrefix fits", u, s.NamePrefix))
			return "", false
		case wanted && name != rest:
			im.problem("", fmt.Sprintf("--name %s=%s: %s already has uniqueName %q, which Graph lets set only once", id, name, label, u),
				fmt.Sprintf("its registration must be named %s; drop --name", rest))
			return "", false
		}
		name, wanted = rest, true
		out.Notes = append(out.Notes, fmt.Sprintf("%s already has uniqueName %q, which Graph lets set only once, so its registration is named %s", label, u, rest))
	}
	switch {
	case wanted && !spec.ValidName(name):
		im.problem("", fmt.Sprintf("--name %s=%s: %q is not a valid registration name", id, name, name), "use 3 to 64 lowercase letters, digits and hyphens")
		return "", false
	case wanted && im.taken[name] != "":
		im.problem("", fmt.Sprintf("%s cannot be named %s: %s already uses that name", label, name, im.taken[name]), "choose another name with --name "+id+"=NAME")
		return "", false
	case !wanted:
		name = freeName(nameFor(have.DisplayName, id), im.taken)
	}
	return name, true
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
