package emulator

// /beta serves the same applications and service principals as /v1.0, from
// the same store, plus properties that exist only in beta. These are the
// ones Terraform's azuread provider reads there on every refresh
// (`$select=oauth2RequirePostResponse`, `$select=samlMetadataUrl`) and
// writes (oauth2RequirePostResponse), at the defaults Graph answers.
// https://learn.microsoft.com/graph/api/resources/application?view=graph-rest-beta

// betaApplicationTemplate holds the beta-only application properties.
func betaApplicationTemplate() map[string]any {
	return map[string]any{"oauth2RequirePostResponse": false}
}

// betaServicePrincipalTemplate holds the beta-only service principal
// properties.
func betaServicePrincipalTemplate() map[string]any {
	return map[string]any{"samlMetadataUrl": nil}
}

var (
	betaApplicationProps      = propUnion(applicationProps, keysOf(betaApplicationTemplate()))
	betaServicePrincipalProps = propUnion(servicePrincipalProps, keysOf(betaServicePrincipalTemplate()))
)

func propUnion(a, b map[string]bool) map[string]bool {
	out := make(map[string]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// applicationPropsOf are the application properties a request may select.
func applicationPropsOf(r *request) map[string]bool {
	if r.version == "beta" {
		return betaApplicationProps
	}
	return applicationProps
}

// servicePrincipalPropsOf are the service principal properties a request
// may select.
func servicePrincipalPropsOf(r *request) map[string]bool {
	if r.version == "beta" {
		return betaServicePrincipalProps
	}
	return servicePrincipalProps
}

// withBeta returns an object's properties as the request's API version shows
// them: for /beta, a copy with the beta-only properties (the written values
// over the template's defaults); for /v1.0, props itself.
func withBeta(r *request, props, written, tmpl map[string]any) map[string]any {
	if r.version != "beta" {
		return props
	}
	out := make(map[string]any, len(props)+len(tmpl))
	for k, v := range props {
		out[k] = v
	}
	for k, v := range tmpl {
		out[k] = v
	}
	for k, v := range written {
		out[k] = v
	}
	return out
}

// takeBeta removes the beta-only properties from the body of a /beta write
// and returns them, checked against the template's types. For /v1.0 it
// takes nothing, so they stay unknown properties there, as in Graph.
func takeBeta(r *request, body, tmpl map[string]any, resource string) (map[string]any, *apiError) {
	if r.version != "beta" {
		return nil, nil
	}
	out := map[string]any{}
	for k, v := range body {
		name, ok := canonical(keysOf(tmpl), k)
		if !ok {
			continue
		}
		switch tmpl[name].(type) {
		case bool:
			if _, isBool := v.(bool); !isBool {
				return nil, errInvalidValue(name, resource)
			}
		case nil:
			if _, isString := v.(string); !isString && v != nil {
				return nil, errInvalidValue(name, resource)
			}
		}
		out[name] = v
		delete(body, k)
	}
	return out, nil
}

// setBeta records written beta-only properties on an object. The caller
// holds s.mu.
func setBeta(o *object, written map[string]any) {
	if len(written) == 0 {
		return
	}
	if o.beta == nil {
		o.beta = map[string]any{}
	}
	for k, v := range written {
		o.beta[k] = v
	}
}
