package action

import (
	"fmt"
	"strings"

	"github.com/appreg/appreg/internal/diag"
)

// Annotation renders a diagnostic as a GitHub Actions workflow command, for
// example "::error file=a.yaml,line=3,col=5,title=appreg::message". Printed
// on a step's standard output, it annotates the file in the pull request's
// diff and in the run summary.
//
// See https://docs.github.com/actions/reference/workflows-and-actions/workflow-commands#setting-an-error-message.
func Annotation(d diag.Diagnostic) string {
	var props []string
	if d.File != "" {
		props = append(props, "file="+escapeProperty(d.File))
	}
	if d.Line > 0 {
		props = append(props, fmt.Sprintf("line=%d", d.Line))
	}
	if d.Column > 0 {
		props = append(props, fmt.Sprintf("col=%d", d.Column))
	}
	props = append(props, "title=appreg")
	msg := d.Summary
	if d.Detail != "" {
		msg += " (" + d.Detail + ")"
	}
	return fmt.Sprintf("::%s %s::%s", d.Severity, strings.Join(props, ","), escapeData(msg))
}

// escapeData and escapeProperty follow the workflow command escaping rules
// of @actions/core.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
