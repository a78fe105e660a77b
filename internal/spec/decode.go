package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
)

// maxVisits bounds how many nodes one file may make the decoder visit. YAML
// aliases let a small file expand to a huge tree ("billion laughs"); real
// files visit a few hundred nodes.
const maxVisits = 100_000

// decoder strictly decodes one YAML file against a shape, collecting
// diagnostics with positions rather than stopping at the first problem.
type decoder struct {
	file   string
	shape  shape
	enums  map[string][]string
	diags  diag.Diagnostics
	visits int
	blown  bool
	// aliased counts the aliases followed, to tell an alias bomb from a
	// file that is simply too big.
	aliased int
	// reported holds what was reported, so that a value reached through
	// several aliases is reported once.
	reported map[diag.Diagnostic]bool
}

// report records an error at n's position (the whole file when n is nil).
func (d *decoder) report(n *yaml.Node, summary, detail string) {
	dg := diag.Diagnostic{Severity: diag.Error, Summary: summary, Detail: detail, File: d.file}
	if n != nil {
		dg.Line, dg.Column = n.Line, n.Column
	}
	if d.reported[dg] {
		return
	}
	if d.reported == nil {
		d.reported = map[diag.Diagnostic]bool{}
	}
	d.reported[dg] = true
	d.diags = append(d.diags, dg)
}

// pos returns n's position in the file.
func (d *decoder) pos(n *yaml.Node) appreg.Pos {
	if n == nil {
		return appreg.Pos{File: d.file}
	}
	return appreg.Pos{File: d.file, Line: n.Line, Column: n.Column}
}

// parse reads the single YAML document in data and returns its root
// mapping, or nil after reporting why there is none.
func (d *decoder) parse(data []byte) (root *yaml.Node) {
	defer func() {
		// yaml.v3 has panicked on malformed input in the past; a file must
		// never crash the loader.
		if r := recover(); r != nil {
			d.report(nil, "the YAML parser could not read this file", fmt.Sprintf("%v; check the file's syntax", r))
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.report(nil, "the file is empty", "write the file's keys, starting with apiVersion: "+APIVersion)
			return nil
		}
		d.syntaxError(err)
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.syntaxError(err)
		return nil
	default:
		at := &extra
		if len(extra.Content) > 0 {
			at = extra.Content[0]
		}
		d.report(at, "the file holds more than one YAML document",
			"put each registration in its own file and remove the --- separator")
	}
	if len(doc.Content) == 0 {
		d.report(nil, "the file is empty", "write the file's keys, starting with apiVersion: "+APIVersion)
		return nil
	}
	n := d.resolve(doc.Content[0])
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.report(n, "the file must be a mapping of keys to values, not "+describe(n),
			"start the file with apiVersion: "+APIVersion+" on its own line")
		return nil
	}
	return n
}

// syntaxError reports a YAML syntax error at the line yaml.v3 names.
func (d *decoder) syntaxError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if l, err := strconv.Atoi(num); err == nil {
				line, msg = l, after
			}
		}
	}
	d.diags = append(d.diags, diag.Diagnostic{
		Severity: diag.Error,
		Summary:  "invalid YAML: " + msg,
		Detail:   "fix the syntax: indent with spaces, put a space after each colon, and quote values that contain \": \" or start with a special character",
		File:     d.file,
		Line:     line,
	})
}

// resolve follows aliases and counts the visit; it returns nil once the
// visit budget is spent.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
		d.aliased++
	}
	if n == nil || n.Kind == yaml.AliasNode {
		return nil
	}
	d.visits++
	if d.visits > maxVisits {
		if !d.blown {
			d.blown = true
			d.tooManyValues(n)
		}
		return nil
	}
	return n
}

// describe names the YAML type of n for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "a string"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "true/false"
		case "!!null":
			return "empty"
		case "!!timestamp":
			return "a date"
		}
		return "a value tagged " + n.Tag
	}
	return "a YAML value"
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// object is a YAML mapping checked against the keys its shape allows.
type object struct {
	d    *decoder
	path string // shape path
	name string // display name for messages ("" for the root)
	node *yaml.Node
	keys map[string]*yaml.Node
	vals map[string]*yaml.Node
}

// object checks that n is a mapping with known, unique keys. A null value
// is an empty object. It returns nil after reporting when n is not usable.
func (d *decoder) object(n *yaml.Node, path, name string) *object {
	allowed, ok := d.shape[path]
	if !ok {
		panic("spec: no shape for path " + strconv.Quote(path))
	}
	o := &object{d: d, path: path, name: name, node: n, keys: map[string]*yaml.Node{}, vals: map[string]*yaml.Node{}}
	if isNull(n) {
		return o
	}
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, name, kObject)
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key, ok := d.key(k)
		if !ok {
			continue
		}
		if _, ok := allowed[key]; !ok {
			d.unknownKey(k, key, name, allowed)
			continue
		}
		if prev, dup := o.keys[key]; dup {
			d.report(k, fmt.Sprintf("duplicate key %q", key),
				fmt.Sprintf("%q is already set on line %d; remove one of them", key, prev.Line))
			continue
		}
		o.keys[key], o.vals[key] = k, v
	}
	return o
}

// key returns the text of a mapping key, reporting keys that are not plain.
func (d *decoder) key(k *yaml.Node) (string, bool) {
	if k.Kind != yaml.ScalarNode {
		d.report(k, "a key must be a plain name, not "+describe(k), "write the key as a word followed by a colon")
		return "", false
	}
	if k.ShortTag() == "!!merge" {
		d.report(k, "merge keys (<<) are not supported", "write the keys out instead of merging an anchor")
		return "", false
	}
	return k.Value, true
}

// unknownKey reports a key the shape does not allow, suggesting the
// nearest valid one.
func (d *decoder) unknownKey(k *yaml.Node, key, where string, allowed map[string]kind) {
	names := make([]string, 0, len(allowed))
	for n := range allowed {
		names = append(names, n)
	}
	sort.Strings(names)
	in := "at the top level"
	if where != "" {
		in = "in " + where
	}
	detail := "remove it; valid keys " + in + " are " + strings.Join(names, ", ")
	if s := suggest(key, names); s != "" {
		detail = fmt.Sprintf("did you mean %q? Rename or remove it", s)
	}
	d.report(k, fmt.Sprintf("unknown key %q %s", key, in), detail)
}

// wrongType reports that n is not of the kind the key needs.
func (d *decoder) wrongType(n *yaml.Node, name string, want kind) {
	if name == "" {
		name = "the file"
	}
	var what, detail string
	leaf := name[strings.LastIndexByte(name, '.')+1:]
	switch want {
	case kString:
		what = "a string"
		switch {
		case isNull(n):
			detail = "write a value, or remove the key"
		case n.Kind == yaml.ScalarNode && strings.HasPrefix(describe(n), "a value tagged"):
			detail = "remove the YAML tag " + n.Tag
		case n.Kind == yaml.ScalarNode:
			detail = fmt.Sprintf("put the value in quotes: %q", n.Value)
		default:
			detail = "write a single value, e.g. " + leaf + ": value"
		}
	case kDuration:
		what, detail = "a duration", "write a number with a unit: 90d, 12h, 30m or 2w"
	case kBool:
		what, detail = "true or false", "write "+leaf+": true or "+leaf+": false"
	case kInt:
		what, detail = "a whole number", "write a number without quotes, e.g. "+leaf+": 2"
	case kObject, kStringMap, kObjectMap:
		what, detail = "a mapping", "write the keys indented below "+leaf+":"
	case kStringList:
		what, detail = "a list", "write "+leaf+": [a, b], or "+leaf+": [] for none"
	case kObjectList:
		what, detail = "a list", "write each entry on its own line starting with \"- \", or "+leaf+": [] for none"
	}
	d.report(n, fmt.Sprintf("%s must be %s, not %s", name, what, describe(n)), detail)
}

// field returns the value node of key, checking that the shape gives it
// the kind the caller decodes. It returns nil when the key is absent.
func (o *object) field(key string, want kind) *yaml.Node {
	if got := o.d.shape[o.path][key]; got != want && !(got == kDuration && want == kString) {
		panic(fmt.Sprintf("spec: %s.%s is decoded as kind %d but its shape says %d", o.path, key, want, got))
	}
	v, ok := o.vals[key]
	if !ok {
		return nil
	}
	return o.d.resolve(v)
}

// has reports whether key is present.
func (o *object) has(key string) bool { _, ok := o.vals[key]; return ok }

// keyNode returns the node of key itself (for positions), or the object's.
func (o *object) keyNode(key string) *yaml.Node {
	if k, ok := o.keys[key]; ok {
		return k
	}
	return o.node
}

// at returns the position to report a problem about key: its value, or the
// object when the key is absent.
func (o *object) at(key string) *yaml.Node {
	if v, ok := o.vals[key]; ok {
		return v
	}
	return o.node
}

// keyPath is the shape path of key within o.
func (o *object) keyPath(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

// child is the display name of key within o.
func (o *object) child(key string) string {
	if o.name == "" {
		return key
	}
	return o.name + "." + key
}

// str decodes a string. ok is false when the key is absent or invalid.
func (o *object) str(key string) (s string, n *yaml.Node, ok bool) {
	n = o.field(key, kString)
	if n == nil {
		return "", nil, false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		o.d.wrongType(n, o.child(key), o.d.shape[o.path][key])
		return "", n, false
	}
	return n.Value, n, true
}

// optStr decodes an optional string: nil when absent or invalid.
func (o *object) optStr(key string) *string {
	s, _, ok := o.str(key)
	if !ok {
		return nil
	}
	return &s
}

// required decodes a string that must be present and non-empty.
func (o *object) required(key, example string) (string, *yaml.Node, bool) {
	s, n, ok := o.str(key)
	if !ok && n == nil {
		o.d.report(o.node, fmt.Sprintf("%s is required", o.child(key)), "add "+key+": "+example)
		return "", nil, false
	}
	if ok && strings.TrimSpace(s) == "" {
		o.d.report(n, fmt.Sprintf("%s must not be empty", o.child(key)), "write a value, e.g. "+key+": "+example)
		return "", n, false
	}
	return s, n, ok
}

// enum decodes a string that must be one of the values listed for it.
func (o *object) enum(key string) (string, *yaml.Node, bool) {
	s, n, ok := o.str(key)
	if !ok {
		return s, n, false
	}
	return s, n, o.d.checkEnum(n, o.keyPath(key), o.child(key), s)
}

// checkEnum reports s unless it is one of the values listed for path.
func (d *decoder) checkEnum(n *yaml.Node, path, name, s string) bool {
	values, ok := d.enums[path]
	if !ok {
		panic("spec: no enum for " + strconv.Quote(path))
	}
	for _, v := range values {
		if s == v {
			return true
		}
	}
	detail := "use one of: " + strings.Join(values, ", ")
	if sg := suggest(s, values); sg != "" {
		detail = fmt.Sprintf("did you mean %q? Values are case-sensitive; use one of: %s", sg, strings.Join(values, ", "))
	}
	d.report(n, fmt.Sprintf("%s %q is not a valid value", name, s), detail)
	return false
}

// boolean decodes an optional true/false.
func (o *object) boolean(key string) *bool {
	n := o.field(key, kBool)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		o.d.wrongType(n, o.child(key), kBool)
		return nil
	}
	b := strings.EqualFold(n.Value, "true")
	return &b
}

// integer decodes an optional whole number.
func (o *object) integer(key string) (*int, *yaml.Node) {
	n := o.field(key, kInt)
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		o.d.wrongType(n, o.child(key), kInt)
		return nil, n
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 32)
	if err != nil {
		o.d.report(n, fmt.Sprintf("%s %s is out of range", o.child(key), n.Value), "write a smaller number")
		return nil, n
	}
	i := int(v)
	return &i, n
}

// strings decodes a list of strings: nil when absent, empty (non-nil) for
// null or []. Invalid items are reported and left out; nodes parallels the
// result.
func (o *object) strings(key string) (list []string, nodes []*yaml.Node) {
	n := o.field(key, kStringList)
	if n == nil {
		return nil, nil
	}
	return o.d.stringList(n, o.child(key), o.keyPath(key))
}

func (d *decoder) stringList(n *yaml.Node, name, path string) ([]string, []*yaml.Node) {
	list, nodes := []string{}, []*yaml.Node{}
	if isNull(n) {
		return list, nodes
	}
	if n.Kind != yaml.SequenceNode {
		d.wrongType(n, name, kStringList)
		return nil, nil
	}
	_, hasEnum := d.enums[path+"[]"]
	for _, item := range n.Content {
		item = d.resolve(item)
		if item == nil {
			continue
		}
		if item.Kind != yaml.ScalarNode || item.ShortTag() != "!!str" {
			detail := "write each item as a single value, e.g. [a, b]"
			if item.Kind == yaml.ScalarNode && !isNull(item) {
				detail = fmt.Sprintf("put the value in quotes: %q", item.Value)
			}
			d.report(item, fmt.Sprintf("each item of %s must be a string, not %s", name, describe(item)), detail)
			continue
		}
		if hasEnum && !d.checkEnum(item, path+"[]", name+" item", item.Value) {
			continue
		}
		list = append(list, item.Value)
		nodes = append(nodes, item)
	}
	return list, nodes
}

// objects decodes a list of mappings: nil when absent, empty (non-nil) for
// null or []. Invalid items are reported and left out.
func (o *object) objects(key string) []*object {
	n := o.field(key, kObjectList)
	if n == nil {
		return nil
	}
	list := []*object{}
	if isNull(n) {
		return list
	}
	if n.Kind != yaml.SequenceNode {
		o.d.wrongType(n, o.child(key), kObjectList)
		return nil
	}
	for _, item := range n.Content {
		item = o.d.resolve(item)
		if item == nil {
			continue
		}
		if isNull(item) || item.Kind != yaml.MappingNode {
			o.d.report(item, fmt.Sprintf("each entry of %s must be a mapping, not %s", o.child(key), describe(item)),
				"write the entry's keys after the dash, one per line, e.g. - name: value")
			continue
		}
		if c := o.d.object(item, o.keyPath(key)+"[]", o.child(key)); c != nil {
			list = append(list, c)
		}
	}
	return list
}

// object decodes a nested mapping; nil when absent or invalid.
func (o *object) object(key string) *object {
	n := o.field(key, kObject)
	if n == nil {
		return nil
	}
	return o.d.object(n, o.keyPath(key), o.child(key))
}

// entry is one key/value pair of a mapping with arbitrary keys.
type entry struct {
	key, val *yaml.Node
}

// mapping decodes a mapping whose keys are names the user chooses
// (policy.reviewers, policy.require), checking for duplicates.
func (o *object) mapping(key string, want kind) []entry {
	n := o.field(key, want)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		o.d.wrongType(n, o.child(key), want)
		return nil
	}
	var out []entry
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		name, ok := o.d.key(k)
		if !ok {
			continue
		}
		if line, dup := seen[name]; dup {
			o.d.report(k, fmt.Sprintf("duplicate key %q in %s", name, o.child(key)),
				fmt.Sprintf("%q is already set on line %d; remove one of them", name, line))
			continue
		}
		seen[name] = k.Line
		v := o.d.resolve(n.Content[i+1])
		if v == nil {
			continue
		}
		out = append(out, entry{key: k, val: v})
	}
	return out
}
