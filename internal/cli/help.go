package cli

import (
	"fmt"
	"io"
)

// commandHelp is what `appreg COMMAND -h` prints besides the flags: what the
// command does, examples, and the environment it reads.
type commandHelp struct {
	about    string
	examples []string
	env      []string
}

// graphEnv is the environment of every command that signs in to Entra.
var graphEnv = []string{
	"AZURE_TENANT_ID, AZURE_CLIENT_ID   the identity appreg signs in as; the tenant must be appreg.yaml's tenantId",
	"AZURE_CLIENT_SECRET                its client secret, or",
	"AZURE_FEDERATED_TOKEN_FILE         a federated token (workload identity); with neither, DefaultAzureCredential (az login, managed identity)",
	"AZURE_AUTHORITY_HOST               the Entra authority (national clouds, the emulator)",
	"APPREG_GRAPH_URL                   Microsoft Graph v1.0 base URL (same as --graph-url)",
	"NO_COLOR                           no colours when set (same as --no-color)",
}

var secretsEnv = []string{
	"APPREG_SECRETS_TOKEN               a GitHub token that may write Actions secrets (else GITHUB_TOKEN)",
	"GITHUB_API_URL                     the GitHub API (GitHub Enterprise Server, the emulator's fake GitHub)",
}

var helps = map[string]commandHelp{
	"validate": {about: "Checks appreg.yaml and every registration file, offline. Exit 0 when valid, 1 when not.",
		examples: []string{"appreg validate", "appreg validate --format github   # annotations in a workflow"}},
	"plan": {about: "Reads the tenant and shows what apply would change. Exit 0; 2 with changes under --detailed-exitcode; 1 on error.",
		examples: []string{"appreg plan", "appreg plan --format json --out plan.json", "appreg plan --detailed-exitcode"},
		env:      graphEnv},
	"apply": {about: "Re-plans and changes the tenant to match the files, with --confirm; without it, shows the plan and changes nothing\n" +
		"(exit 0 when there is nothing to change, 1 when there is). Not gated on pull request approvals.",
		examples: []string{"appreg apply              # what would change", "appreg apply --confirm"},
		env:      append(append([]string{}, graphEnv...), secretsEnv...)},
	"import": {about: "Writes a registration file for each existing application that adopts it as it is. Reads only.",
		examples: []string{"appreg import --app-id 6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20",
			"appreg import --app-id APPID --name APPID=payments-api --out /tmp/review",
			"appreg import --app-id APPID --format json   # the written files as JSON (path, name, appId, notes)"},
		env: graphEnv},
	"rotate": {about: "Rotates client secrets that are due and delivers them, with --confirm; without it, shows what is due\n" +
		"(exit 0 when nothing is, 1 when something is).",
		examples: []string{"appreg rotate", "appreg rotate --confirm", "appreg rotate --confirm --now payments-api/ci   # a leaked secret"},
		env:      append(append([]string{}, graphEnv...), secretsEnv...)},
	"emulator": {about: "Serves an emulated Entra tenant over HTTPS until interrupted; DIR/env holds the variables to use it.\n" +
		"With --github also a fake GitHub for secret delivery; 'appreg emulator secret' prints one delivered secret.",
		examples: []string{"appreg emulator --dir /tmp/entra --github --users alice@contoso.com &",
			"set -a; . /tmp/entra/env; set +a",
			"appreg emulator secret --dir /tmp/entra contoso/jupyterhub-deploy JUPYTERHUB_CLIENT_SECRET"}},
	"demo":   {about: "Plans and applies this repository's registrations against an in-process emulator and fake GitHub.", examples: []string{"appreg demo"}},
	"schema": {about: "Prints the JSON Schema of registration files.", examples: []string{"appreg schema > registration.schema.json"}},
	"serve": {about: "Serves the GitHub App's webhooks: plans, approves and applies like the Action for every installed repository.",
		examples: []string{"APPREG_WEBHOOK_SECRET=… APPREG_APP_ID=… APPREG_APP_PRIVATE_KEY_FILE=key.pem appreg serve --listen :8080"},
		env: append([]string{"APPREG_WEBHOOK_SECRET, APPREG_APP_ID, APPREG_APP_PRIVATE_KEY(_FILE)   the GitHub App",
			"APPREG_LISTEN                      the address (same as --listen)"}, graphEnv...)},
	"action":  {about: "The GitHub Action: inputs (INPUT_*), event and outputs from the Actions runner; see action.yml."},
	"version": {about: "Prints appreg's version: module version, commit and commit time, Go version.", examples: []string{"appreg version", "appreg --version"}},
}

// writeHelp prints a command's help around its flags (printFlags).
func writeHelp(w io.Writer, name string, printFlags func()) {
	h := helps[name]
	fmt.Fprintf(w, "Usage: appreg %s [flags]\n\n", name)
	if h.about != "" {
		fmt.Fprintf(w, "%s\n\n", h.about)
	}
	fmt.Fprintln(w, "Flags:")
	printFlags()
	fmt.Fprintln(w, "  -no-color\n    \tno colours (also NO_COLOR)")
	if len(h.examples) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, x := range h.examples {
			fmt.Fprintf(w, "  %s\n", x)
		}
	}
	if len(h.env) > 0 {
		fmt.Fprintln(w, "\nEnvironment:")
		for _, v := range h.env {
			fmt.Fprintf(w, "  %s\n", v)
		}
	}
}
