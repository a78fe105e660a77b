package spec

import (
	"fmt"
	"regexp"
)

// adviceIDRE is the form of an advice id: AR and three digits.
var adviceIDRE = regexp.MustCompile(`^AR[0-9]{3}$`)

// adviceIDs reads the list key of an `advice:` section. Which ids exist is
// the advice package's to say (it warns about unknown ones); here only
// their form is checked.
func (d *decoder) adviceIDs(a *object, name string) []string {
	list, nodes := a.strings(lastKey(name))
	var out []string
	for i, id := range list {
		if !adviceIDRE.MatchString(id) {
			d.report(nodes[i], fmt.Sprintf("%s entry %q is not an advice id", name, id),
				"write the id shown with the advice, e.g. AR003; docs/advice.md lists them")
			continue
		}
		out = append(out, id)
	}
	return out
}

// lastKey is the last dotted element of name.
func lastKey(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '.' {
			return name[i+1:]
		}
	}
	return name
}
