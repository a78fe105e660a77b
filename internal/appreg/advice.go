package appreg

// AdviceSettings is the `advice:` section of a registration file or of
// appreg.yaml. Ignore lists advice ids (AR001…) that are silenced: in a
// registration file for that registration, in appreg.yaml for every one.
// Errors, only in appreg.yaml, lists advice ids raised from warnings to
// errors. Source is where the section was written.
type AdviceSettings struct {
	Ignore []string `json:"ignore,omitempty"`
	Errors []string `json:"errors,omitempty"`
	Source Pos      `json:"-"`
}
