package spec

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// tooManyValues reports a file that made the decoder visit more than
// maxVisits values, saying what is too big: aliases that expand (a few
// lines that repeat a large anchor), or the file itself.
func (d *decoder) tooManyValues(n *yaml.Node) {
	if d.aliased > 0 {
		d.report(n, "the file expands to too many values",
			fmt.Sprintf("YAML aliases here expand to more than %d values (%d aliases followed so far); write the values out instead of repeating aliases", maxVisits, d.aliased))
		return
	}
	d.report(n, fmt.Sprintf("the file has more than %d values", maxVisits),
		"a registration has a few hundred; split the file or remove the repeated entries from here on")
}
