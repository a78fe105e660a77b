// Package tfimport reads what Terraform's azuread provider manages from a
// state file (format version 4) or from `terraform show -json` output, so
// that appreg can adopt those applications: it yields the client ids to
// import and the `removed` blocks that make Terraform forget the resources
// without destroying them. It is pure: it reads bytes and never a network.
//
// Attribute values other than ids are never kept: a state holds client
// secret values (azuread_application_password.value) in clear text, and
// none of them may leave this package.
package tfimport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Types lists the azuread resource types appreg takes over, in the order
// the removed blocks are written.
var Types = []string{
	"azuread_application",
	"azuread_application_registration",
	"azuread_service_principal",
	"azuread_application_federated_identity_credential",
	"azuread_application_password",
	"azuread_app_role_assignment",
	"azuread_application_api_access",
	"azuread_application_pre_authorized",
}

// Instance is one resource instance Terraform manages.
type Instance struct {
	// Address is the instance's address, e.g.
	// `module.apps.azuread_application.app[0]`.
	Address string
	// Resource is the address of its resource block without instance keys,
	// e.g. `module.apps.azuread_application.app`: what a removed block's
	// `from` names.
	Resource string
	Type     string
	// ClientID is the application (client) id of the app registration the
	// instance belongs to; empty when the state does not say (see Unowned).
	ClientID string
}

// Result is what a state names.
type Result struct {
	// ClientIDs are the applications to import, sorted, each once.
	ClientIDs []string
	// Instances are every azuread instance of the types appreg takes over.
	Instances []Instance
	// Unowned are instances whose application is not in the state (an
	// app role assignment between two service principals Terraform did not
	// create, or a credential on an application managed elsewhere). Their
	// resources are still in Removed: appreg does not manage what they are
	// attached to, so Terraform should forget them or keep them knowingly.
	Unowned []Instance
}

// raw is one instance as read: its addresses and the few attributes that
// link it to an application.
type raw struct {
	address, resource, typ string
	attrs                  map[string]json.RawMessage
}

// Parse reads a state file (format version 4) or `terraform show -json`
// output of a state.
func Parse(data []byte) (*Result, error) {
	var head struct {
		Version       *int            `json:"version"`
		FormatVersion string          `json:"format_version"`
		Values        json.RawMessage `json:"values"`
		PlannedValues json.RawMessage `json:"planned_values"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("reading terraform state: not JSON: %w", err)
	}
	var (
		instances []raw
		err       error
	)
	switch {
	case head.FormatVersion != "" && head.Values != nil:
		instances, err = showJSON(head.Values)
	case head.FormatVersion != "" && head.PlannedValues != nil:
		return nil, errors.New("reading terraform state: this is a plan, not a state: run terraform show -json without a plan file, or pass terraform.tfstate")
	case head.FormatVersion != "":
		instances = nil // `terraform show -json` of an empty state has no values
	case head.Version == nil:
		return nil, errors.New("reading terraform state: neither a state file (no \"version\") nor terraform show -json output (no \"format_version\")")
	case *head.Version != 4:
		return nil, fmt.Errorf("reading terraform state: state format version %d is not supported: run terraform show -json and pass its output", *head.Version)
	default:
		instances, err = stateV4(data)
	}
	if err != nil {
		return nil, fmt.Errorf("reading terraform state: %w", err)
	}
	return link(instances), nil
}

// stateV4 reads the resources of a version 4 state file.
func stateV4(data []byte) ([]raw, error) {
	var st struct {
		Resources []struct {
			Module    string `json:"module"`
			Mode      string `json:"mode"`
			Type      string `json:"type"`
			Name      string `json:"name"`
			Instances []struct {
				IndexKey   json.RawMessage            `json:"index_key"`
				Attributes map[string]json.RawMessage `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("state resources: %w", err)
	}
	var out []raw
	for _, r := range st.Resources {
		resource, ok := taken(r.Mode, r.Module, r.Type, r.Name)
		if !ok {
			continue
		}
		for _, in := range r.Instances {
			key, err := indexKey(in.IndexKey)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", resource, err)
			}
			addr := r.Type + "." + r.Name + key
			if r.Module != "" {
				addr = r.Module + "." + addr
			}
			out = append(out, raw{address: addr, resource: resource, typ: r.Type, attrs: in.Attributes})
		}
	}
	return out, nil
}

// showJSON reads the resources of `terraform show -json` output, following
// child modules.
func showJSON(values json.RawMessage) ([]raw, error) {
	var v struct {
		RootModule module `json:"root_module"`
	}
	if err := json.Unmarshal(values, &v); err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	var out []raw
	var walk func(m module)
	walk = func(m module) {
		for _, r := range m.Resources {
			resource, ok := taken(r.Mode, m.Address, r.Type, r.Name)
			if !ok {
				continue
			}
			out = append(out, raw{address: r.Address, resource: resource, typ: r.Type, attrs: r.Values})
		}
		for _, c := range m.ChildModules {
			walk(c)
		}
	}
	walk(v.RootModule)
	return out, nil
}

// taken reports whether a resource is one appreg takes over (a managed
// resource of Types) and returns its address without instance keys, in
// module (an address that may have them).
func taken(mode, module, typ, name string) (resource string, ok bool) {
	if mode != "managed" || !slices.Contains(Types, typ) {
		return "", false
	}
	resource = typ + "." + name
	if module != "" {
		resource = stripKeys(module) + "." + resource
	}
	return resource, true
}

// module is a module of `terraform show -json` values.
type module struct {
	Address   string `json:"address"`
	Resources []struct {
		Address string                     `json:"address"`
		Mode    string                     `json:"mode"`
		Type    string                     `json:"type"`
		Name    string                     `json:"name"`
		Values  map[string]json.RawMessage `json:"values"`
	} `json:"resources"`
	ChildModules []module `json:"child_modules"`
}

// indexKey renders a state instance's index_key as an address suffix:
// none, [0] for count, or ["key"] for for_each.
func indexKey(k json.RawMessage) (string, error) {
	k = bytes.TrimSpace(k)
	if len(k) == 0 || string(k) == "null" {
		return "", nil
	}
	var n int
	if err := json.Unmarshal(k, &n); err == nil {
		return "[" + strconv.Itoa(n) + "]", nil
	}
	var s string
	if err := json.Unmarshal(k, &s); err != nil {
		return "", errors.New("index_key is neither a number nor a string")
	}
	return "[" + strconv.Quote(s) + "]", nil
}

// stripKeys removes instance keys from a module path:
// `module.a["x"].module.b[0]` becomes `module.a.module.b`. A removed block
// names a resource of every instance of its module.
func stripKeys(addr string) string {
	var b strings.Builder
	depth, inString, escaped := 0, false, false
	for _, c := range addr {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[':
			depth++
		case c == ']':
			depth--
		case depth == 0:
			b.WriteRune(c)
		}
	}
	return b.String()
}
