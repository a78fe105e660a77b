package plan

import "github.com/appreg/appreg/internal/rotate"

// Status is how applying one change ended.
type Status string

const (
	Applied Status = "applied"
	Failed  Status = "failed"
	// Skipped changes were not attempted, e.g. because a registration they
	// depend on failed.
	Skipped Status = "skipped"
)

// Result is what an apply did. Like a Plan it holds metadata only: no secret
// value ever enters it.
type Result struct {
	// Fingerprint is the fingerprint of the plan that was applied;
	// Expected, when set, is the one a reviewer saw. They differ when the
	// tenant or the files changed in between.
	Fingerprint string    `json:"fingerprint"`
	Expected    string    `json:"expectedFingerprint,omitempty"`
	Outcomes    []Outcome `json:"outcomes"`
	Refused     []Refusal `json:"refused"`
	// Secrets are the client secrets created (and delivered) by the apply.
	Secrets []rotate.Outcome `json:"secrets"`
}

// Failed reports whether any change or secret failed.
func (r *Result) Failed() bool {
	for _, o := range r.Outcomes {
		if o.Status == Failed {
			return true
		}
	}
	for _, s := range r.Secrets {
		if s.Error != "" {
			return true
		}
	}
	return false
}

// Outcome is the result of applying one Change. Steps lists, in order, what
// was done ("created application", "granted microsoft-graph User.Read.All
// (application)"); Error says what failed and is empty otherwise.
type Outcome struct {
	Key        string   `json:"key"`
	UniqueName string   `json:"uniqueName"`
	Action     Action   `json:"action"`
	Status     Status   `json:"status"`
	AppID      string   `json:"appId,omitempty"`
	ObjectID   string   `json:"objectId,omitempty"`
	Steps      []string `json:"steps"`
	Error      string   `json:"error,omitempty"`
}
