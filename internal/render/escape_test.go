package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
)

func TestCell(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"[a, b]", "`[a, b]`"},
		{"a|b", "`a\\|b`"},
		{"line one\nline two", "`line one`<br>`line two`"},
		{"crlf\r\nend", "`crlf`<br>`end`"},
		{"has `tick` inside", "``has `tick` inside``"},
		{"`edge`", "`` `edge` ``"},
		{"</details><script>", "`</details><script>`"},
	}
	for _, tt := range tests {
		if got := cell(tt.in); got != tt.want {
			t.Errorf("cell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestProse(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"add `adopt: {appId: x}` to a.yaml", "add `adopt: {appId: x}` to a.yaml"},
		{"</details> & <b>", "&lt;/details&gt; &amp; &lt;b&gt;"},
		{"code `<b>` stays", "code `<b>` stays"},
		{"AZURE_CLIENT_SECRET *x* [y]", `AZURE\_CLIENT\_SECRET \*x\* \[y\]`},
		{"two\nlines", "two<br>lines"},
		{"a | b", `a \| b`},
		{"unclosed ` tick", "unclosed ` tick"},
	}
	for _, tt := range tests {
		if got := prose(tt.in); got != tt.want {
			t.Errorf("prose(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got, want := proseCell("x `a|b` | y"), "x `a\\|b` \\| y"; got != want {
		t.Errorf("proseCell = %q, want %q", got, want)
	}
}

// hostile is a plan whose values try to break out of their table cells,
// details elements and terminal lines.
func hostile() *plan.Plan {
	return &plan.Plan{
		Changes: []plan.Change{{
			Key: "payments-api", UniqueName: "contoso-payments-api", Action: plan.Update, AppID: paymentsAppID,
			Reason: "the tenant differs from registrations/payments-api.yaml",
			Fields: []plan.FieldDiff{
				{Path: "notes", Before: "a | b\nnew line", After: "</details>\n\n# heading"},
				{Path: "description", Before: "`rm -rf`", After: "\x1b[31mred\x1b[0m"},
			},
			Risk: plan.RiskLow,
		}},
		Fingerprint: strings.Repeat("0", 64),
	}
}

func TestMarkdownCellsAreEscaped(t *testing.T) {
	t.Parallel()
	md := PlanMarkdown(hostile(), Options{})[0]
	for _, want := range []string{
		"| `notes` | `a \\| b`<br>`new line` | `</details>`<br><br>`# heading` |\n",
		"| `description` | `` `rm -rf` `` | `\\x1B[31mred\\x1B[0m` |\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks row %q:\n%s", want, md)
		}
	}
	for line := range strings.Lines(md) {
		if (strings.HasPrefix(line, "| `notes`") || strings.HasPrefix(line, "| `description`")) && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 4 {
			t.Errorf("row does not have three cells: %q", line)
		}
	}
	if open, closed := strings.Count(md, "<details"), strings.Count(md, "</details>\n\n"); open != closed {
		t.Errorf("details opened %d times, closed %d times", open, closed)
	}
}

func TestTextEscapesControlCharacters(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := PlanText(&b, hostile(), Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\x1b") {
		t.Errorf("text without colour contains an escape sequence:\n%q", b.String())
	}
	if !strings.Contains(b.String(), `~ notes: a | b\nnew line → </details>\n\n# heading`) {
		t.Errorf("multi-line values must stay on one line:\n%s", b.String())
	}
}

func TestSensitiveValuesAreMasked(t *testing.T) {
	t.Parallel()
	const secret = "Zx9~s3cr3t.v4lue"
	p := &plan.Plan{
		Changes: []plan.Change{{
			Key: "payments-api", Action: plan.Update, Reason: "test", Risk: plan.RiskMedium,
			Categories: []appreg.Category{appreg.CategoryCredentialChange},
			Fields: []plan.FieldDiff{
				{Path: "credentials.secrets[ci].secretText", After: secret},
				{Path: "passwordCredentials[ci]", Before: secret, After: secret + "2"},
				{Path: "credentials.secrets[ci]", After: "lifetime 90d, rotateBefore 30d"},
			},
		}},
	}
	var text, color, js bytes.Buffer
	if err := PlanText(&text, p, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := PlanText(&color, p, Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if err := PlanJSON(&js, p); err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"text": text.String(), "color": color.String(), "json": js.String(),
		"markdown": strings.Join(PlanMarkdown(p, Options{}), ""), "step summary": StepSummary(p, Options{}),
	}
	for name, out := range outputs {
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("%s shows a secret value:\n%s", name, out)
		}
		if strings.Count(out, sensitiveMask) != 3 {
			t.Errorf("%s: want 3 masked values:\n%s", name, out)
		}
		if !strings.Contains(out, "lifetime 90d") {
			t.Errorf("%s hides secret metadata, which is safe to show:\n%s", name, out)
		}
	}
}
