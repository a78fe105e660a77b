package action

import (
	"crypto/rand"
	"embed"
	"encoding/hex"
	"strings"
	"text/template"

	"github.com/appreg/appreg/internal/diag"
)

// The Action's own messages (invalid files, failures, forks) are small
// templates; plans and results are rendered by package render.
//
//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("action").Funcs(template.FuncMap{
	"md":    escapeMarkdown,
	"fence": fence,
}).ParseFS(templateFS, "templates/*.tmpl"))

// exec renders one named template; the templates and their data are fixed
// by this package, so a failure is a bug.
func exec(name string, data any) string {
	var b strings.Builder
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		panic("action: template " + name + ": " + err.Error())
	}
	return b.String()
}

// titleLine is the heading of a message, like render's: "### appreg plan ·
// owner/repo@abc1234".
func titleLine(name, repo, sha string) string {
	ctx := repo
	if sha != "" {
		if ctx != "" {
			ctx += "@"
		}
		ctx += shortSHA(sha)
	}
	return exec("title", map[string]string{"Name": name, "Context": ctx})
}

// maxListed is how many diagnostics a message lists; the annotations have
// all of them.
const maxListed = 200

// diagLines renders diagnostics one per line, at most maxListed.
func diagLines(diags diag.Diagnostics) string {
	var lines []string
	for i, d := range diags {
		if i == maxListed {
			lines = append(lines, "… and "+plural(len(diags)-maxListed, "more", "more"))
			break
		}
		lines = append(lines, d.String())
	}
	return strings.Join(lines, "\n")
}

func invalidMarkdown(title string, diags diag.Diagnostics, consequence string) string {
	return exec("invalid", map[string]any{
		"Title": title, "Count": plural(errorCount(diags), "error", "errors"), "Consequence": consequence, "Lines": diagLines(diags),
	})
}

// failureMarkdown reports an error that stopped a run; plan says whether a
// push retries it.
func failureMarkdown(title, headline, err, runURL string, plan bool) string {
	return exec("failure", map[string]any{
		"Title": title, "Headline": headline, "Error": err, "RunURL": runURL, "Plan": plan,
	})
}

func forkMarkdown(title string, diags diag.Diagnostics, valid int) string {
	data := map[string]any{"Title": title, "Valid": plural(valid, "registration is", "registrations are")}
	if diags.HasErrors() {
		data["Count"] = plural(errorCount(diags), "error", "errors")
		data["Lines"] = diagLines(diags)
	}
	return exec("fork", data)
}

func errorCount(diags diag.Diagnostics) int {
	n := 0
	for _, d := range diags {
		if d.Severity == diag.Error {
			n++
		}
	}
	return n
}

// escapeMarkdown escapes the characters that would format plain text.
func escapeMarkdown(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;", "|", `\|`, "`", "\\`").Replace(s)
}

// fence puts text in a fenced code block whose fence is longer than any
// run of backticks in it, so the text is shown literally. Control
// characters other than newlines and tabs are dropped.
func fence(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || r >= 0x20 && r != 0x7f {
			return r
		}
		return -1
	}, strings.TrimRight(s, "\n"))
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	f := strings.Repeat("`", max(3, longest+1))
	return f + "text\n" + s + "\n" + f + "\n"
}

// stopToken is a random token for ::stop-commands::.
func stopToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
