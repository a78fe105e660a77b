package spec

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const repoSchema = "../../schema/registration.schema.json"

// TestSchemaFileInSync checks that the schema in the repository is the one
// Schema returns; -update copies it there.
func TestSchemaFileInSync(t *testing.T) {
	t.Parallel()
	if *update {
		if err := os.WriteFile(repoSchema, Schema(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(repoSchema)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, Schema()) {
		t.Errorf("%s differs from internal/spec/registration.schema.json; run go test ./internal/spec -run TestSchemaFileInSync -update", repoSchema)
	}
}

// schemaFacts is what the schema says at each path: object keys with their
// types, and string enumerations.
type schemaFacts struct {
	types     map[string]map[string][]string // object path -> key -> JSON types
	itemTypes map[string][]string            // list path -> item JSON types
	enums     map[string][]string            // key path -> values
	closed    map[string]bool                // object path -> additionalProperties: false
}

func walkSchema(t *testing.T, root, node map[string]any, path string, f *schemaFacts) {
	t.Helper()
	if ref, ok := node["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		def, ok := root["$defs"].(map[string]any)[name].(map[string]any)
		if !ok {
			t.Fatalf("%s: unresolved $ref %q", path, ref)
		}
		node = def
	}
	if enum, ok := node["enum"].([]any); ok {
		var values []string
		for _, v := range enum {
			if s, ok := v.(string); ok {
				values = append(values, s)
			}
		}
		if values != nil {
			f.enums[path] = values
		}
	}
	if props, ok := node["properties"].(map[string]any); ok {
		f.types[path] = map[string][]string{}
		f.closed[path] = node["additionalProperties"] == false
		for key, v := range props {
			child := v.(map[string]any)
			if ref, ok := child["$ref"].(string); ok {
				child = root["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
			}
			f.types[path][key] = jsonTypes(child)
			p := key
			if path != "" {
				p = path + "." + key
			}
			walkSchema(t, root, child, p, f)
		}
	}
	if items, ok := node["items"].(map[string]any); ok {
		if ref, ok := items["$ref"].(string); ok {
			items = root["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		f.itemTypes[path] = jsonTypes(items)
		walkSchema(t, root, items, path+"[]", f)
	}
}

func jsonTypes(n map[string]any) []string {
	switch v := n["type"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, s := range v {
			out = append(out, s.(string))
		}
		sort.Strings(out)
		return out
	}
	return nil
}

// schemaTypes is the JSON Schema type of each kind the decoder accepts.
var schemaTypes = map[kind][]string{
	kString:     {"string"},
	kDuration:   {"string"},
	kBool:       {"boolean"},
	kInt:        {"integer"},
	kObject:     {"null", "object"},
	kStringList: {"array", "null"},
	kObjectList: {"array", "null"},
}

// TestSchemaMatchesDecoder compares the keys the decoder accepts at every
// path, their types and the enumerations with the JSON Schema, both ways.
func TestSchemaMatchesDecoder(t *testing.T) {
	t.Parallel()
	var root map[string]any
	if err := json.Unmarshal(Schema(), &root); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v, want draft 2020-12", root["$schema"])
	}
	f := &schemaFacts{types: map[string]map[string][]string{}, itemTypes: map[string][]string{}, enums: map[string][]string{}, closed: map[string]bool{}}
	walkSchema(t, root, root, "", f)

	want := map[string]map[string][]string{}
	wantItems := map[string][]string{}
	for path, keys := range registrationShape {
		want[path] = map[string][]string{}
		for key, k := range keys {
			want[path][key] = schemaTypes[k]
			p := key
			if path != "" {
				p = path + "." + key
			}
			switch k {
			case kStringList:
				wantItems[p] = []string{"string"}
			case kObjectList:
				wantItems[p] = []string{"object"}
			}
		}
		if !f.closed[path] {
			t.Errorf("schema object %q does not set additionalProperties: false, but the decoder rejects unknown keys", path)
		}
	}
	if diff := cmp.Diff(want, f.types); diff != "" {
		t.Errorf("keys and types per path: decoder (-) vs schema (+):\n%s", diff)
	}
	if diff := cmp.Diff(wantItems, f.itemTypes); diff != "" {
		t.Errorf("list item types: decoder (-) vs schema (+):\n%s", diff)
	}
	wantEnums := map[string][]string{}
	for p, v := range registrationEnums {
		wantEnums[p] = slices.Clone(v)
	}
	if diff := cmp.Diff(wantEnums, f.enums); diff != "" {
		t.Errorf("enumerations: decoder (-) vs schema (+):\n%s", diff)
	}
	if req := root["required"]; !cmp.Equal(req, []any{"apiVersion", "name", "displayName"}) {
		t.Errorf("required at the top level = %v", req)
	}
}
