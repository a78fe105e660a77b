package emulator

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// filterExpr is a parsed OData $filter: the subset Graph supports on the
// directory objects the emulator serves (eq/ne, and/or/not, in,
// startswith/endswith, any() on string collections).
type filterExpr struct {
	eval     func(map[string]any) bool
	paths    []string
	advanced bool // needs ConsistencyLevel: eventual and $count=true
}

// props returns the top-level properties the filter reads.
func (e *filterExpr) props() []string {
	var out []string
	for _, p := range e.paths {
		top, _, _ := strings.Cut(p, "/")
		out = append(out, top)
	}
	return out
}

type filterParser struct {
	toks []string
	pos  int
	expr *filterExpr
}

// parseFilter parses a $filter value.
func parseFilter(s string) (*filterExpr, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &filterParser{toks: toks, expr: &filterExpr{}}
	f, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos])
	}
	p.expr.eval = f
	return p.expr, nil
}

// tokenize splits a filter into identifiers/paths, quoted strings (kept with
// their quotes), punctuation and words.
func tokenize(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')' || c == ',' || c == ':':
			toks = append(toks, string(c))
			i++
		case c == '\'':
			j := i + 1
			var b strings.Builder
			for {
				if j >= len(s) {
					return nil, errors.New("unterminated string literal")
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			toks = append(toks, "'"+b.String())
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t(),:'", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

func (p *filterParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *filterParser) next() string {
	t := p.peek()
	p.pos++
	return t
}

func (p *filterParser) expect(t string) error {
	if got := p.next(); got != t {
		return fmt.Errorf("expected %q, got %q", t, got)
	}
	return nil
}

type pred = func(map[string]any) bool

func (p *filterParser) or() (pred, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peek(), "or") {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(m map[string]any) bool { return a(m) || b(m) }
	}
	return l, nil
}

func (p *filterParser) and() (pred, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peek(), "and") {
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(m map[string]any) bool { return a(m) && b(m) }
	}
	return l, nil
}

func (p *filterParser) unary() (pred, error) {
	switch t := p.peek(); {
	case strings.EqualFold(t, "not"):
		p.next()
		p.expr.advanced = true
		f, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(m map[string]any) bool { return !f(m) }, nil
	case t == "(":
		p.next()
		f, err := p.or()
		if err != nil {
			return nil, err
		}
		return f, p.expect(")")
	case strings.EqualFold(t, "startswith") || strings.EqualFold(t, "endswith"):
		p.next()
		if err := p.expect("("); err != nil {
			return nil, err
		}
		path := p.next()
		if err := p.expect(","); err != nil {
			return nil, err
		}
		lit, err := p.literal()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		p.expr.paths = append(p.expr.paths, path)
		want, _ := lit.(string)
		want = strings.ToLower(want)
		ends := strings.EqualFold(t, "endswith")
		if ends {
			p.expr.advanced = true
		}
		return func(m map[string]any) bool {
			v, ok := lookup(m, path).(string)
			if !ok {
				return false
			}
			if ends {
				return strings.HasSuffix(strings.ToLower(v), want)
			}
			return strings.HasPrefix(strings.ToLower(v), want)
		}, nil
	}
	return p.comparison()
}

// comparison parses `path op literal`, `path in (…)` and
// `path/any(x:x op literal)`.
func (p *filterParser) comparison() (pred, error) {
	path := p.next()
	if path == "" || !isPath(path) {
		return nil, fmt.Errorf("expected a property, got %q", path)
	}
	if coll, ok := strings.CutSuffix(path, "/any"); ok {
		if err := p.expect("("); err != nil {
			return nil, err
		}
		v := p.next()
		if err := p.expect(":"); err != nil {
			return nil, err
		}
		if got := p.next(); got != v {
			return nil, fmt.Errorf("expected lambda variable %q, got %q", v, got)
		}
		op := strings.ToLower(p.next())
		lit, err := p.literal()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		if op != "eq" {
			return nil, fmt.Errorf("operator %q is not supported in any()", op)
		}
		p.expr.paths = append(p.expr.paths, coll)
		return func(m map[string]any) bool {
			items, _ := lookup(m, coll).([]any)
			for _, it := range items {
				if equal(it, lit) {
					return true
				}
			}
			return false
		}, nil
	}
	p.expr.paths = append(p.expr.paths, path)
	op := strings.ToLower(p.next())
	switch op {
	case "eq", "ne":
		lit, err := p.literal()
		if err != nil {
			return nil, err
		}
		if op == "ne" {
			p.expr.advanced = true
			return func(m map[string]any) bool { return !equal(lookup(m, path), lit) }, nil
		}
		return func(m map[string]any) bool { return equal(lookup(m, path), lit) }, nil
	case "in":
		if err := p.expect("("); err != nil {
			return nil, err
		}
		var lits []any
		for {
			lit, err := p.literal()
			if err != nil {
				return nil, err
			}
			lits = append(lits, lit)
			if p.peek() == "," {
				p.next()
				continue
			}
			break
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		if len(lits) > 15 {
			return nil, errors.New("the 'in' operator accepts at most 15 values")
		}
		return func(m map[string]any) bool {
			v := lookup(m, path)
			for _, l := range lits {
				if equal(v, l) {
					return true
				}
			}
			return false
		}, nil
	default:
		return nil, fmt.Errorf("operator %q is not supported", op)
	}
}

// literal parses 'string', true, false, null, a number or a bare GUID (Graph
// takes Edm.Guid values unquoted).
func (p *filterParser) literal() (any, error) {
	t := p.next()
	switch {
	case strings.HasPrefix(t, "'"):
		if len(t)-1 > 120 {
			return nil, errors.New("a string value is longer than 120 characters")
		}
		return t[1:], nil
	case strings.EqualFold(t, "true"):
		return true, nil
	case strings.EqualFold(t, "false"):
		return false, nil
	case strings.EqualFold(t, "null"):
		return nil, nil
	case t != "" && (unicode.IsDigit(rune(t[0])) || t[0] == '-' || isHex(t)):
		return t, nil
	}
	return nil, fmt.Errorf("expected a literal, got %q", t)
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '-') {
			return false
		}
	}
	return true
}

func isPath(s string) bool {
	for _, c := range s {
		if !(unicode.IsLetter(c) || unicode.IsDigit(c) || c == '/' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// lookup reads a slash-separated property path.
func lookup(m map[string]any, path string) any {
	var cur any = m
	for _, part := range strings.Split(path, "/") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[part]
	}
	return cur
}

// equal compares a property value with a literal the way directory $filter
// does: strings case-insensitively, numbers by their text.
func equal(v, lit any) bool {
	switch l := lit.(type) {
	case nil:
		return v == nil
	case bool:
		b, ok := v.(bool)
		return ok && b == l
	case string:
		switch x := v.(type) {
		case string:
			return strings.EqualFold(x, l)
		case float64:
			return fmt.Sprint(x) == l
		}
	}
	return false
}
