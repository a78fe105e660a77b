package render

import (
	"fmt"
	"html"
	"strings"
	"unicode/utf8"
)

// maxCell is the longest value, in bytes, shown in one markdown table cell;
// longer values are truncated so that a single row always fits in a comment.
const maxCell = 8000

// cell renders a value for a markdown table cell: each line becomes a code
// span (so that markdown and HTML in values are shown literally), lines are
// joined with <br>, and pipes are escaped, which GitHub's table parser
// honours even inside code spans.
func cell(s string) string {
	if s == "" {
		return ""
	}
	s = truncate(s, maxCell)
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.ReplaceAll(codeSpan(terminal(l)), "|", `\|`)
	}
	return strings.Join(lines, "<br>")
}

// code renders a value as one inline code span outside tables.
func code(s string) string {
	return codeSpan(terminal(strings.Join(strings.Fields(s), " ")))
}

// codeSpan wraps s in a code span whose backtick fence is longer than any
// run of backticks inside s, padding with spaces where CommonMark needs it.
func codeSpan(s string) string {
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestBackticks(s)+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || (strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ")) {
		s = " " + s + " "
	}
	return fence + s + fence
}

// prose renders text written for people (reasons, hints, errors) as
// markdown: code spans the text already contains are kept, while HTML
// outside them is escaped and line breaks become <br>, so that one item
// stays one list item.
func prose(s string) string {
	var b strings.Builder
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = terminal(l)
	}
	s = strings.Join(lines, "\n")
	inCode := ""
	for i := 0; i < len(s); {
		if s[i] == '`' {
			j := i
			for j < len(s) && s[j] == '`' {
				j++
			}
			fence := s[i:j]
			switch {
			case inCode == "" && strings.Contains(s[j:], fence):
				inCode = fence
			case inCode == fence:
				inCode = ""
			}
			b.WriteString(fence)
			i = j
			continue
		}
		c := s[i]
		switch {
		case c == '\n':
			b.WriteString("<br>")
		case inCode != "":
			b.WriteByte(c)
		case c == '<' || c == '>' || c == '&':
			b.WriteString(html.EscapeString(string(c)))
		case c == '|' || c == '*' || c == '_' || c == '[' || c == ']' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
		i++
	}
	return b.String()
}

// proseCell is prose for a table cell: pipes are escaped inside code spans
// too.
func proseCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(prose(truncate(s, maxCell)), `\|`, "|"), "|", `\|`)
}

// truncate cuts s to at most n bytes on a rune boundary, saying so.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + " … (" + itoa(len(s)-cut) + " more bytes)"
}

// terminal makes text safe for a terminal: control characters (escape
// sequences included) are shown escaped instead of being interpreted.
func terminal(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case isControl(r):
			fmt.Fprintf(&b, `\x%02X`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// longestBackticks is the longest run of backticks in s: a fence around s
// must be longer.
func longestBackticks(s string) int {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
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
	f := strings.Repeat("`", max(3, longestBackticks(s)+1))
	return f + "text\n" + s + "\n" + f + "\n"
}

// escapeMarkdown escapes the characters that would format plain text.
func escapeMarkdown(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;", "|", `\|`, "`", "\\`").Replace(s)
}
