package cli

import (
	"encoding/json"
	"fmt"
	"io"
)

// importedFile is one file appreg import wrote, as --format json lists it.
type importedFile struct {
	Path        string   `json:"path"`
	Name        string   `json:"name"`
	AppID       string   `json:"appId"`
	DisplayName string   `json:"displayName"`
	Notes       []string `json:"notes"`
}

// writeImported reports the files import wrote: a line each with its notes
// (text), or a versioned JSON document (json).
func writeImported(w io.Writer, format string, files []importedFile) error {
	if format == "json" {
		for i := range files {
			if files[i].Notes == nil {
				files[i].Notes = []string{}
			}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			FormatVersion string         `json:"format_version"`
			Imported      []importedFile `json:"imported"`
		}{"1.0", files})
	}
	for _, f := range files {
		fmt.Fprintf(w, "wrote %s: %q (appId %s)\n", f.Path, f.DisplayName, f.AppID)
		for _, n := range f.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
	}
	_, err := fmt.Fprintln(w, "\nReview the files, then open a pull request: the plan shows each adoption, and apply adopts them.")
	return err
}
