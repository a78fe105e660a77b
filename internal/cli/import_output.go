package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/appreg/appreg/internal/tfimport"
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
func writeImported(w io.Writer, format string, files []importedFile, tf *tfimport.Result) error {
	if format == "json" {
		for i := range files {
			if files[i].Notes == nil {
				files[i].Notes = []string{}
			}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		out := struct {
			FormatVersion string         `json:"format_version"`
			Imported      []importedFile `json:"imported"`
			// Removed and Kept are there with --from-terraform: the
			// removed blocks, and the resources that stay in Terraform.
			Removed string   `json:"terraformRemoved,omitempty"`
			Kept    []string `json:"terraformKept,omitempty"`
		}{FormatVersion: "1.0", Imported: files}
		if tf != nil {
			out.Removed, out.Kept = tf.Removed(), tf.Kept()
		}
		return enc.Encode(out)
	}
	for _, f := range files {
		fmt.Fprintf(w, "wrote %s: %q (appId %s)\n", f.Path, f.DisplayName, f.AppID)
		for _, n := range f.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
	}
	_, err := fmt.Fprintln(w, "\nReview the files, then open a pull request: the plan shows each adoption, and apply adopts them.")
	if err == nil && tf != nil {
		printRemoved(w, tf)
	}
	return err
}

// printRemoved prints the removed blocks that make Terraform forget the
// resources appreg now manages, and the resources it should keep.
func printRemoved(w io.Writer, tf *tfimport.Result) {
	fmt.Fprintln(w, "\nThen make Terraform forget these resources without destroying them (Terraform 1.7 or later):")
	fmt.Fprintln(w, "replace their resource blocks with these removed blocks, run terraform apply, and delete the blocks afterwards.")
	fmt.Fprintln(w)
	fmt.Fprint(w, tf.Removed())
	if kept := tf.Kept(); len(kept) > 0 {
		fmt.Fprintln(w, "\nThese resources belong to no imported application and stay in Terraform:")
		for _, k := range kept {
			fmt.Fprintln(w, "  "+k)
		}
	}
}
