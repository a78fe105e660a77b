package spec

import (
	_ "embed"
	"slices"
)

// registrationSchema is the JSON Schema of registration files. The
// repository carries the same file at schema/registration.schema.json for
// editors (the yaml-language-server comment of a registration file points at it);
// TestSchemaFileInSync keeps the two identical and TestSchemaMatchesDecoder
// keeps both in step with the decoder.
//
//go:embed registration.schema.json
var registrationSchema []byte

// Schema returns the JSON Schema (draft 2020-12) of registration files.
func Schema() []byte { return slices.Clone(registrationSchema) }
