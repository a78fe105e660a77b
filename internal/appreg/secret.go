package appreg

import (
	"fmt"
	"log/slog"
)

// SecretValue holds a client secret's value between Graph's addPassword
// response and the sealed GitHub secret. It redacts itself everywhere it
// could leak: fmt verbs, JSON, text marshalling and slog all print
// "(sensitive value)". Only Reveal gives the value, and only the code that
// encrypts it for delivery or authenticates with it calls Reveal.
type SecretValue struct {
	v string
}

// NewSecretValue wraps a secret value.
func NewSecretValue(v string) SecretValue { return SecretValue{v: v} }

// Redacted is what a SecretValue prints as.
const Redacted = "(sensitive value)"

// Reveal returns the value.
func (s SecretValue) Reveal() string { return s.v }

// IsZero reports whether no value is held.
func (s SecretValue) IsZero() bool { return s.v == "" }

func (s SecretValue) String() string   { return Redacted }
func (s SecretValue) GoString() string { return Redacted }

// Format redacts every fmt verb, %x and %q included.
func (s SecretValue) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// MarshalText redacts the value in JSON and other text encodings.
func (s SecretValue) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue redacts the value in structured logs.
func (s SecretValue) LogValue() slog.Value { return slog.StringValue(Redacted) }
