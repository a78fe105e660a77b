package render

import (
	"strings"
	"testing"
)

// TestParkedMarkdown: the error is shown literally (a hostile error text
// cannot format the comment or close its code block) and the comment says
// how to run the event again.
func TestParkedMarkdown(t *testing.T) {
	t.Parallel()
	err := "reading the repository: ```\n# Approved <img src=x> [click](https://evil)"
	md := ParkedMarkdown(MessageTitle("appreg", "contoso/app-registrations", "ec26c3e57ca3a959ca5aad62de7213c562f8c821"),
		"pull_request", "72d3162e-cc78-11e3-81ab-4c9367dc0958", 3, err)
	for _, want := range []string{
		"### appreg · contoso/app-registrations@ec26c3e",
		"gave up on this pull\\_request event after 3 attempts",
		"````text\n" + err + "\n````",
		"redeliver delivery `72d3162e-cc78-11e3-81ab-4c9367dc0958`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the parked comment lacks %q:\n%s", want, md)
		}
	}
}
