package plan

import (
	"fmt"
	"sort"

	"github.com/appreg/appreg/internal/appreg"
)

// deletions plans the removal of managed applications no file declares,
// within the deletion rails of appreg.yaml. Only applications the
// repository owns are candidates: another repository's, or one managed
// before owners were recorded, is never deleted however its name matches
// the prefix.
func (p *planner) deletions() {
	var gone []*appreg.Registration
	for _, r := range p.in.Observed.Registrations {
		if p.matched[r] || r.Observed == nil || !r.Observed.Managed || !r.Observed.Owned || r.Name == "" || p.desired[r.Name] != nil {
			continue
		}
		gone = append(gone, r)
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].Name < gone[j].Name })
	del := p.in.Settings.Deletion
	for i, r := range gone {
		refusal := Refusal{Key: r.Name, AppID: r.Observed.AppID, Action: Delete}
		switch {
		case !del.Allow:
			refusal.Reason = "its registration file was removed, but appreg.yaml does not allow deletion (deletion.allow is false); nothing is deleted"
			refusal.Hint = "set `deletion: {allow: true}` in appreg.yaml to delete it, or restore the file to keep managing it"
		case i >= del.MaxPerRun:
			refusal.Reason = fmt.Sprintf("deleting it would exceed deletion.maxPerRun (%d) for this run", del.MaxPerRun)
			refusal.Hint = "it is deleted by a later run, or raise deletion.maxPerRun in appreg.yaml"
		default:
			p.plan.Changes = append(p.plan.Changes, Change{
				Key: r.Name, UniqueName: r.UniqueName, AppID: r.Observed.AppID, Action: Delete,
				Reason: "its registration file was removed and deletion.allow is true; soft delete, restorable for 30 days",
				Why:    ReasonFileRemoved,
				Hint:   fmt.Sprintf("restore with: az rest --method POST --url https://graph.microsoft.com/v1.0/directory/deletedItems/%s/restore", r.Observed.ObjectID),
				Fields: []FieldDiff{{Path: "application", Section: SectionApplication, Item: r.Observed.AppID, Kind: KindNote,
					Category: appreg.CategoryDeletion, Old: r.Observed.AppID, Before: r.DisplayName + " (" + r.Observed.AppID + ")"}},
				Risk:       RiskHigh,
				Categories: []appreg.Category{appreg.CategoryDeletion},
				Before:     r,
			})
			continue
		}
		p.plan.Refused = append(p.plan.Refused, refusal)
	}
}
