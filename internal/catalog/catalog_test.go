package catalog

import "testing"

func TestGraphCatalog(t *testing.T) {
	t.Parallel()
	c := Graph()
	// Ids from Microsoft's published permission reference.
	tests := []struct {
		kind  Kind
		value string
		id    string
	}{
		{Delegated, "User.Read", "e1fe6dd8-ba31-4d61-89e7-88639da4683d"},
		{Application, "User.Read.All", "df021288-bdef-4463-88db-98f22de89214"},
		{Application, "Directory.ReadWrite.All", "19dbc75e-c2e2-444c-a770-ec69d8559fc7"},
	}
	for _, tt := range tests {
		p, ok := c.Lookup(tt.kind, tt.value)
		if !ok || p.ID != tt.id || p.Kind != tt.kind {
			t.Errorf("Lookup(%s, %s) = %+v, %v; want id %s", tt.kind, tt.value, p, ok, tt.id)
		}
	}
	if _, ok := c.Lookup(Application, "User.Read"); ok {
		t.Error("User.Read is delegated only, but was found as an application permission")
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	c := Graph()
	tests := []struct {
		kind     Kind
		in, want string
	}{
		{Delegated, "User.Raed", "User.Read"},
		{Delegated, "user.read", "User.Read"},
		{Application, "Mail.Sendd", "Mail.Send"},
		{Application, "Completely.Unrelated.Thing.Here", ""},
	}
	for _, tt := range tests {
		if got := c.Suggest(tt.kind, tt.in); got != tt.want {
			t.Errorf("Suggest(%s, %q) = %q, want %q", tt.kind, tt.in, got, tt.want)
		}
	}
}

func TestFirstPartyName(t *testing.T) {
	t.Parallel()
	if got := FirstPartyName("04B07795-8DDB-461A-BBEE-02F9E1BF7B46"); got != "Microsoft Azure CLI" {
		t.Errorf("FirstPartyName(azure-cli) = %q", got)
	}
	if got := FirstPartyName("6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20"); got != "" {
		t.Errorf("FirstPartyName(unknown) = %q, want empty", got)
	}
}
