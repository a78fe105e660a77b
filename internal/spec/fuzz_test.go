package spec

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// FuzzParseRegistration feeds arbitrary bytes to the decoder, alone and
// through LoadFS (which adds the cross-file checks). The seed corpus is the
// repository's examples, the invalid test cases and testdata/fuzz.
func FuzzParseRegistration(f *testing.F) {
	examples, _ := filepath.Glob("../../registrations/*.yaml")
	for _, e := range examples {
		if data, err := os.ReadFile(e); err == nil {
			f.Add(data)
		}
	}
	cases, _ := filepath.Glob("testdata/invalid/*.txtar")
	for _, c := range cases {
		data, err := os.ReadFile(c)
		if err != nil {
			continue
		}
		for name, body := range readArchive(string(data)) {
			if filepath.Dir(name) == "registrations" {
				f.Add([]byte(body))
			}
		}
	}
	settings := defaultSettings()
	settings.NamePrefix = "contoso-"
	settings.Policy.Secrets.MaxLifetime = 180 * day
	orders, _ := os.ReadFile("../../registrations/orders-api.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "registrations/payments-api.yaml"
		r, diags := ParseRegistration(file, data, &settings)
		for _, d := range diags {
			if d.File != file || d.Line < 0 || d.Column < 0 || d.Summary == "" {
				t.Errorf("malformed diagnostic %+v", d)
			}
		}
		if !diags.HasErrors() && (r == nil || r.Name != "payments-api" || r.UniqueName != "contoso-payments-api") {
			t.Errorf("valid file gave registration %+v", r)
		}
		fsys := fstest.MapFS{
			"appreg.yaml":                   {Data: []byte(defaultConfig)},
			file:                            {Data: data},
			"registrations/orders-api.yaml": {Data: orders},
		}
		res, _ := LoadFS(fsys, "appreg.yaml")
		if res == nil || res.Desired == nil {
			t.Fatal("LoadFS returned no result")
		}
	})
}

// FuzzParseSettings feeds arbitrary bytes to the appreg.yaml decoder, alone
// and through LoadFS with one registration file. Whatever the input, the
// settings are usable (defaults where the file is wrong) and every
// diagnostic names the file. The seed corpus is the repository's
// appreg.yaml, the settings of the invalid test cases and
// testdata/fuzz/FuzzParseSettings.
func FuzzParseSettings(f *testing.F) {
	if data, err := os.ReadFile("../../appreg.yaml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(defaultConfig))
	cases, _ := filepath.Glob("testdata/invalid/*.txtar")
	for _, c := range cases {
		data, err := os.ReadFile(c)
		if err != nil {
			continue
		}
		if body, ok := readArchive(string(data))["appreg.yaml"]; ok {
			f.Add([]byte(body))
		}
	}
	orders, _ := os.ReadFile("../../registrations/orders-api.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "appreg.yaml"
		s, diags := parseSettings(file, data)
		for _, d := range diags {
			if d.File != file || d.Line < 0 || d.Column < 0 || d.Summary == "" {
				t.Errorf("malformed diagnostic %+v", d)
			}
		}
		if s.Registrations == "" || s.Limits.MaxFileSize <= 0 || s.Limits.MaxFileSize > MaxMaxFileSize || s.Deletion.MaxPerRun < 0 {
			t.Errorf("unusable settings %+v", s)
		}
		res, _ := LoadFS(fstest.MapFS{file: {Data: data}, "registrations/orders-api.yaml": {Data: orders}}, file)
		if res == nil || res.Desired == nil {
			t.Fatal("LoadFS returned no result")
		}
	})
}
