package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/appreg/appreg/internal/appreg"
)

// orgPolicyFile is the organisation policy file's shape:
//
//	apiVersion: appreg/v1
//	reviewers: {security: {teams: [contoso/security], required: 1}}
//	require: {privileged-permission: security, credential-change: security}
//	repositories: {contoso/payments: {namePrefix: payments-}}
type orgPolicyFile struct {
	APIVersion   string                          `yaml:"apiVersion"`
	Reviewers    map[string]appreg.ReviewerGroup `yaml:"reviewers"`
	Require      map[string]string               `yaml:"require"`
	Repositories map[string]struct {
		NamePrefix string `yaml:"namePrefix"`
	} `yaml:"repositories"`
}

// LoadOrgPolicy reads an organisation policy file (APPREG_ORG_POLICY):
// strict YAML, known categories, groups that exist, at most 1 MiB.
func LoadOrgPolicy(path string) (*appreg.OrgPolicy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the organisation policy: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 1<<20+1))
	if err != nil {
		return nil, fmt.Errorf("reading the organisation policy %s: %w", path, err)
	}
	return ParseOrgPolicy(path, data)
}

// ParseOrgPolicy parses an organisation policy read elsewhere (the
// Action's org-policy input); name says where it came from in errors.
func ParseOrgPolicy(name string, data []byte) (*appreg.OrgPolicy, error) {
	path := name
	if len(data) > 1<<20 {
		return nil, fmt.Errorf("the organisation policy %s is over 1 MiB", path)
	}
	var in orgPolicyFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&in); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w (see the organisation policy in the README)", path, err)
	}
	if in.APIVersion != APIVersion {
		return nil, fmt.Errorf("%s: apiVersion is %q, want %s", path, in.APIVersion, APIVersion)
	}
	out := &appreg.OrgPolicy{Reviewers: in.Reviewers, Require: map[appreg.Category]string{}, Prefixes: map[string]string{}}
	for cat, group := range in.Require {
		if !slices.Contains(appreg.Categories, appreg.Category(cat)) {
			return nil, fmt.Errorf("%s: require names unknown category %q", path, cat)
		}
		if _, ok := in.Reviewers[group]; !ok {
			return nil, fmt.Errorf("%s: require sends %s to reviewer group %q, which reviewers does not define", path, cat, group)
		}
		out.Require[appreg.Category(cat)] = group
	}
	for repo, r := range in.Repositories {
		if !strings.Contains(repo, "/") {
			return nil, fmt.Errorf("%s: repository %q is not owner/name", path, repo)
		}
		out.Prefixes[strings.ToLower(repo)] = r.NamePrefix
	}
	return out, nil
}
