package appreg

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretValueNeverPrints(t *testing.T) {
	t.Parallel()
	const value = "Xk8Q~s3cr3t-value-that-must-not-leak"
	s := NewSecretValue(value)
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		outputs = append(outputs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, struct{ S SecretValue }{s}), fmt.Sprintf(verb, &s))
	}
	j, _ := json.Marshal(map[string]any{"s": s, "p": &s})
	outputs = append(outputs, string(j), fmt.Sprint(s), fmt.Sprintln(s), fmt.Errorf("wrapped %v: %w", s, fmt.Errorf("%s", s)).Error())
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("rotated", "secret", s)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("rotated", "secret", s)
	outputs = append(outputs, logs.String())
	for _, out := range outputs {
		if strings.Contains(out, value) || strings.Contains(out, fmt.Sprintf("%x", value)) {
			t.Fatalf("secret leaked: %s", out)
		}
	}
	if s.Reveal() != value {
		t.Error("Reveal must return the value")
	}
}
