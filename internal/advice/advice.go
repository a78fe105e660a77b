// Package advice finds the classic app-registration mistakes that no schema
// catches: delegated permissions on an app no user signs in to, application
// permissions nobody consented to, a secret where a federated credential
// would do, and the like. Each piece of advice has a stable id (AR001…)
// documented in docs/advice.md, a one-line message saying what to do and
// the file position it is about. Checking is pure: it reads the desired
// registrations and, when a plan was computed, the observed tenant.
package advice

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/plan"
)

// Input is what the checks read.
type Input struct {
	Settings appreg.Settings
	// Desired is the loaded registration files.
	Desired *appreg.Set
	// Observed is the tenant as the plan read it, or nil when checking
	// offline (appreg validate). Checks use it only for fields a file leaves
	// unmanaged.
	Observed *appreg.Set
}

// check is one piece of advice: it reports findings about one desired
// registration, given what the tenant has of it (nil when unknown).
type check struct {
	id    string
	title string
	run   func(in *Input, want, have *appreg.Registration) []finding
}

// finding is one occurrence of a check's advice.
type finding struct {
	msg string
	pos appreg.Pos
}

// IDs lists every advice id in order.
func IDs() []string {
	out := make([]string, len(checks))
	for i, c := range checks {
		out[i] = c.id
	}
	return out
}

// Title returns the one-line title of advice id, or "" for an unknown id.
func Title(id string) string {
	for _, c := range checks {
		if c.id == id {
			return c.title
		}
	}
	return ""
}

// Check runs every check over the desired registrations and returns the
// advice sorted by file position, silenced advice included (marked so).
// Advice is a warning unless appreg.yaml lists its id under advice.errors.
func Check(in Input) []plan.Advice {
	var out []plan.Advice
	idx := indexObserved(in.Observed)
	for _, want := range in.Desired.Registrations {
		have := idx.find(want)
		for _, c := range checks {
			for _, f := range c.run(&in, want, have) {
				pos := f.pos
				if pos.File == "" {
					pos = want.Source
				}
				a := plan.Advice{
					ID: c.id, Key: want.Name, Severity: diag.Warning, Message: f.msg,
					File: pos.File, Line: pos.Line, Column: pos.Column,
				}
				if slices.Contains(in.Settings.Advice.Errors, c.id) {
					a.Severity = diag.Error
				}
				a.Silenced, a.SilencedBy = silenced(in.Settings, want, c.id)
				out = append(out, a)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b plan.Advice) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Diagnostics returns the advice that is not silenced as diagnostics, and a
// warning for every id in an advice section that names no advice.
func Diagnostics(in Input, advice []plan.Advice) diag.Diagnostics {
	var ds diag.Diagnostics
	for _, a := range advice {
		if !a.Silenced {
			ds = append(ds, a.Diagnostic())
		}
	}
	unknown := func(ids []string, pos appreg.Pos, where string) {
		for _, id := range ids {
			if Title(id) == "" {
				ds = append(ds, diag.Diagnostic{
					Severity: diag.Warning, Summary: fmt.Sprintf("%s names %s, which is no advice", where, id),
					Detail: "the ids are " + strings.Join(IDs(), ", ") + " (docs/advice.md)",
					File:   pos.File, Line: pos.Line, Column: pos.Column,
				})
			}
		}
	}
	unknown(in.Settings.Advice.Ignore, in.Settings.Advice.Source, "advice.ignore")
	unknown(in.Settings.Advice.Errors, in.Settings.Advice.Source, "advice.errors")
	for _, r := range in.Desired.Registrations {
		if r.Advice != nil {
			unknown(r.Advice.Ignore, r.Advice.Source, "advice.ignore")
		}
	}
	ds.Sort()
	return ds
}

// silenced reports whether advice id is ignored for r, and where.
func silenced(s appreg.Settings, r *appreg.Registration, id string) (bool, string) {
	if r.Advice != nil && slices.Contains(r.Advice.Ignore, id) {
		return true, position(r.Advice.Source)
	}
	if slices.Contains(s.Advice.Ignore, id) {
		return true, position(s.Advice.Source)
	}
	return false, ""
}

func position(p appreg.Pos) string {
	return diag.Diagnostic{File: p.File, Line: p.Line, Column: p.Column}.Position()
}

// observedIndex finds the tenant's registration a desired one corresponds
// to: by name, or by the application id it adopts.
type observedIndex struct {
	byName, byAppID map[string]*appreg.Registration
}

func indexObserved(observed *appreg.Set) observedIndex {
	idx := observedIndex{byName: map[string]*appreg.Registration{}, byAppID: map[string]*appreg.Registration{}}
	if observed == nil {
		return idx
	}
	for _, r := range observed.Registrations {
		if r.Name != "" {
			idx.byName[r.Name] = r
		}
		if r.Observed != nil {
			idx.byAppID[strings.ToLower(r.Observed.AppID)] = r
		}
	}
	return idx
}

func (idx observedIndex) find(want *appreg.Registration) *appreg.Registration {
	if r := idx.byName[want.Name]; r != nil {
		return r
	}
	if want.Adopt != nil {
		return idx.byAppID[strings.ToLower(want.Adopt.AppID)]
	}
	return nil
}
