package spec

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
)

// Result is what Load read: the settings and the desired registrations.
type Result struct {
	Settings appreg.Settings
	// Desired holds every registration that could be decoded, sorted by
	// Name, with UniqueName set and defaults applied.
	Desired *appreg.Set
	// Files maps a registration name to the file that declares it.
	Files map[string]string
}

// Load reads the settings file at configPath and every registrations/*.yaml
// (and *.yml) in the folder its `registrations` names. It always returns a
// Result with whatever could be decoded; the diagnostics, sorted, say
// whether it is valid (Diagnostics.HasErrors).
func Load(configPath string) (*Result, diag.Diagnostics) {
	return LoadContext(context.Background(), configPath)
}

// LoadContext is Load that stops reading and parsing files once ctx is
// done; the diagnostics then say so.
func LoadContext(ctx context.Context, configPath string) (*Result, diag.Diagnostics) {
	dir := filepath.Dir(configPath)
	return load(ctx, os.DirFS(dir), filepath.Base(configPath), func(p string) string {
		return filepath.Join(dir, filepath.FromSlash(p))
	})
}

// LoadSettings reads only the settings file at configPath: what a command
// needs before the registrations folder exists (appreg import). Its result
// has defaults wherever the file is wrong.
func LoadSettings(configPath string) (appreg.Settings, diag.Diagnostics) {
	dir := filepath.Dir(configPath)
	data, size, err := readLimited(os.DirFS(dir), filepath.Base(configPath), maxSettingsSize)
	switch {
	case errors.Is(err, errTooLarge):
		return defaultSettings(), diag.Diagnostics{tooLarge(configPath, size, maxSettingsSize, "")}
	case errors.Is(err, fs.ErrNotExist):
		return defaultSettings(), diag.Diagnostics{{Summary: "settings file " + configPath + " does not exist", File: configPath,
			Detail: "create it with apiVersion: " + APIVersion + " and your tenantId, or point --config at it"}}
	case err != nil:
		return defaultSettings(), diag.Diagnostics{{Summary: fmt.Sprintf("reading %s: %v", configPath, err), File: configPath,
			Detail: "check that the file is readable"}}
	}
	s, diags := parseSettings(configPath, data)
	diags.Sort()
	return s, diags
}

// LoadFS is Load over fsys; configPath is a slash-separated path within
// fsys, and diagnostics name files by their paths within fsys.
func LoadFS(fsys fs.FS, configPath string) (*Result, diag.Diagnostics) {
	return LoadFSContext(context.Background(), fsys, configPath)
}

// LoadFSContext is LoadFS that stops reading and parsing files once ctx
// is done; the diagnostics then say so.
func LoadFSContext(ctx context.Context, fsys fs.FS, configPath string) (*Result, diag.Diagnostics) {
	return load(ctx, fsys, configPath, func(p string) string { return p })
}

func load(ctx context.Context, fsys fs.FS, configPath string, display func(string) string) (*Result, diag.Diagnostics) {
	var diags diag.Diagnostics
	res := &Result{Settings: defaultSettings(), Desired: &appreg.Set{}, Files: map[string]string{}}
	settingsFile := display(configPath)

	data, size, err := readLimited(fsys, configPath, maxSettingsSize)
	switch {
	case errors.Is(err, errTooLarge):
		diags = append(diags, tooLarge(settingsFile, size, maxSettingsSize, ""))
	case errors.Is(err, fs.ErrNotExist):
		diags = append(diags, diag.Diagnostic{Summary: "settings file " + settingsFile + " does not exist", File: settingsFile,
			Detail: "create it with apiVersion: " + APIVersion + " and your tenantId, or point --config at it"})
	case err != nil:
		diags = append(diags, diag.Diagnostic{Summary: fmt.Sprintf("reading %s: %v", settingsFile, err), File: settingsFile,
			Detail: "check that the file is readable"})
	default:
		var sd diag.Diagnostics
		res.Settings, sd = parseSettings(settingsFile, data)
		diags = append(diags, sd...)
	}

	dir := path.Join(path.Dir(configPath), res.Settings.Registrations)
	if link := symlinkIn(fsys, dir); link != "" {
		diags = append(diags, symlinkDiag(display(link), settingsFile))
		diags.Sort()
		return res, diags
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		summary := fmt.Sprintf("reading the registrations folder %s: %v", display(dir), err)
		if errors.Is(err, fs.ErrNotExist) {
			summary = "the registrations folder " + display(dir) + " does not exist"
		}
		diags = append(diags, diag.Diagnostic{Summary: summary, File: settingsFile,
			Detail: "create it with one <name>.yaml per application, or set registrations: in " + path.Base(configPath)})
		diags.Sort()
		return res, diags
	}
	// Read the files in order, then decode them in parallel: decoding is
	// pure and dominates the time of a large repository.
	type job struct {
		file string
		data []byte
		p    *parsed
		d    diag.Diagnostics
	}
	var jobs []*job
	limit := res.Settings.Limits.MaxFileSize
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return stopped(res, diags, settingsFile, err)
		}
		p := path.Join(dir, name)
		file := display(p)
		if e.Type()&fs.ModeSymlink != 0 {
			diags = append(diags, symlinkDiag(file, settingsFile))
			continue
		}
		data, size, err := readLimited(fsys, p, limit)
		if errors.Is(err, errTooLarge) {
			diags = append(diags, tooLarge(file, size, limit, "limits.maxFileSize"))
			continue
		}
		if err != nil {
			diags = append(diags, diag.Diagnostic{Summary: fmt.Sprintf("reading %s: %v", file, err), File: file,
				Detail: "check that the file is readable"})
			continue
		}
		jobs = append(jobs, &job{file: file, data: data})
	}
	next := make(chan *job)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Go(func() {
			for j := range next {
				if ctx.Err() != nil {
					continue // stopped: see below
				}
				j.p, j.d = parseRegistration(j.file, j.data, &res.Settings)
			}
		})
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return stopped(res, diags, settingsFile, err)
	}
	var files []*parsed
	for _, j := range jobs {
		diags = append(diags, j.d...)
		if j.p != nil && j.p.reg.Name != "" {
			files = append(files, j.p)
		}
	}

	diags = append(diags, crossCheck(files)...)
	for _, p := range files {
		if _, dup := res.Files[p.reg.Name]; dup {
			continue
		}
		res.Files[p.reg.Name] = p.file
		res.Desired.Registrations = append(res.Desired.Registrations, p.reg)
	}
	slices.SortFunc(res.Desired.Registrations, func(a, b *appreg.Registration) int { return strings.Compare(a.Name, b.Name) })
	diags.Sort()
	return res, diags
}

// stopped ends a load that ctx cancelled: what was decoded is dropped, and
// a diagnostic says why.
func stopped(res *Result, diags diag.Diagnostics, settingsFile string, err error) (*Result, diag.Diagnostics) {
	res.Desired, res.Files = &appreg.Set{}, map[string]string{}
	diags = append(diags, diag.Diagnostic{Severity: diag.Error, File: settingsFile,
		Summary: fmt.Sprintf("reading the registrations stopped: %v", err), Detail: "the run was cancelled or ran out of time; run it again"})
	diags.Sort()
	return res, diags
}

// errorAt builds an error diagnostic at n in file.
func errorAt(file string, n *yaml.Node, summary, detail string) diag.Diagnostic {
	d := diag.Diagnostic{Severity: diag.Error, Summary: summary, Detail: detail, File: file}
	if n != nil {
		d.Line, d.Column = n.Line, n.Column
	}
	return d
}

// crossCheck runs the checks that need every registration: unique names,
// references to other registrations and secret delivery targets.
func crossCheck(files []*parsed) diag.Diagnostics {
	var diags diag.Diagnostics
	byName := map[string]*parsed{}
	var names []string
	for _, p := range files {
		if prev, dup := byName[p.reg.Name]; dup {
			diags = append(diags, errorAt(p.file, p.name, fmt.Sprintf("registration name %q is already used by %s", p.reg.Name, prev.file),
				"names must be unique in the repository; rename one of them and its file"))
			continue
		}
		byName[p.reg.Name] = p
		names = append(names, p.reg.Name)
	}
	slices.Sort(names)

	targets := map[string]*parsed{}
	for _, p := range files {
		if byName[p.reg.Name] != p {
			continue
		}
		for i, ref := range p.perms {
			if !ref.local {
				continue
			}
			perm := p.reg.Permissions[i]
			target, ok := byName[perm.API]
			if !ok {
				diags = append(diags, errorAt(p.file, ref.api,
					fmt.Sprintf("api %q is not a well-known alias, an application id or a registration name", perm.API),
					unknownAppDetail(perm.API, names)))
				continue
			}
			for j, name := range perm.Delegated {
				if summary, detail := missingScope(target, name); summary != "" {
					diags = append(diags, errorAt(p.file, ref.delegated[j], summary, detail))
				}
			}
			for j, name := range perm.Application {
				if summary, detail := missingRole(target, name); summary != "" {
					diags = append(diags, errorAt(p.file, ref.application[j], summary, detail))
				}
			}
		}
		for i, ref := range p.clients {
			if !ref.local {
				continue
			}
			client := p.reg.API.AuthorizedClients[i].Client
			if _, ok := byName[client]; !ok {
				diags = append(diags, errorAt(p.file, ref.client,
					fmt.Sprintf("authorized client %q is not a well-known alias, an application id or a registration name", client),
					unknownAppDetail(client, names)))
			}
		}
		for _, t := range p.targets {
			if prev, dup := targets[t.key]; dup && prev != p {
				diags = append(diags, errorAt(p.file, t.node,
					fmt.Sprintf("%s is also delivered by %s", t.desc, prev.file),
					"a GitHub secret holds one value; give this delivery a different secret name"))
				continue
			}
			targets[t.key] = p
		}
	}
	return diags
}

// missingScope explains why name is not a delegated permission (a scope)
// of the registration target, or returns "".
func missingScope(target *parsed, name string) (summary, detail string) {
	var scopes []string
	if target.reg.API != nil {
		for _, s := range target.reg.API.Scopes {
			if s.Value == name {
				return "", ""
			}
			scopes = append(scopes, s.Value)
		}
	}
	summary = fmt.Sprintf("%s is not a scope of registration %q", name, target.reg.Name)
	if roleIndex(target.reg, name) >= 0 {
		return summary, fmt.Sprintf("it is an app role of %s: move it to application:, or add a scope %s under api.scopes in %s", target.reg.Name, name, target.file)
	}
	return summary, nearest(name, scopes, "scopes", "api.scopes", target)
}

// missingRole explains why name is not an application permission (an app
// role that applications may hold) of target, or returns "".
func missingRole(target *parsed, name string) (summary, detail string) {
	var roles []string
	for _, r := range target.reg.AppRoles {
		if slices.Contains(r.AllowedMemberTypes, appreg.MemberApplication) {
			roles = append(roles, r.Value)
		}
	}
	if i := roleIndex(target.reg, name); i >= 0 {
		if slices.Contains(target.reg.AppRoles[i].AllowedMemberTypes, appreg.MemberApplication) {
			return "", ""
		}
		return fmt.Sprintf("app role %s of registration %q cannot be granted to applications", name, target.reg.Name),
			fmt.Sprintf("add Application to its allowedMemberTypes in %s", target.file)
	}
	summary = fmt.Sprintf("%s is not an app role of registration %q", name, target.reg.Name)
	if target.reg.API != nil && slices.ContainsFunc(target.reg.API.Scopes, func(s appreg.Scope) bool { return s.Value == name }) {
		return summary, fmt.Sprintf("it is a scope of %s: move it to delegated:, or add an app role %s to %s", target.reg.Name, name, target.file)
	}
	return summary, nearest(name, roles, "app roles for applications", "appRoles", target)
}

func roleIndex(r *appreg.Registration, name string) int {
	return slices.IndexFunc(r.AppRoles, func(a appreg.AppRole) bool { return a.Value == name })
}

// nearest writes the detail for a missing scope or role: a suggestion, the
// available values, or where to declare it.
func nearest(name string, values []string, what, key string, target *parsed) string {
	if len(values) == 0 {
		return fmt.Sprintf("%s declares no %s; add %s under %s in %s", target.reg.Name, what, name, key, target.file)
	}
	if s := suggest(name, values); s != "" {
		return fmt.Sprintf("did you mean %q? %s declares %s", s, target.reg.Name, strings.Join(values, ", "))
	}
	return fmt.Sprintf("%s declares %s; add %s under %s in %s", target.reg.Name, strings.Join(values, ", "), name, key, target.file)
}
