// Package checklists turns regulation rules, kept as data, into the checklist an
// inspector works through at one site.
//
// Rules live in YAML packs under rules/ (one pack per source or topic), next to a
// registry of the legal sources they cite (rules/sources.yaml) and jurisdiction
// parameter packs (rules/params/*.yaml) that hold the thresholds which differ from
// place to place. The packs are embedded in the binary. Loading checks everything up
// front — every attribute, value, parameter, site type, AI check and location a rule
// names — and reports all defects at once with file, line and rule code. Conditions
// are a small typed language compiled at load time, so generating a checklist for a
// site profile evaluates precompiled conditions and does no parsing.
package checklists

import (
	"embed"
	"io/fs"
	"os"
)

//go:embed rules
var embeddedRules embed.FS

// LoadEmbedded loads the rule packs shipped inside the binary.
func LoadEmbedded() (*RuleSet, error) {
	sub, err := fs.Sub(embeddedRules, "rules")
	if err != nil {
		return nil, err
	}
	return LoadFS(sub, "checklists/rules")
}

// LoadDir loads the rule packs in the folder dir (same layout as the shipped rules/
// folder: sources.yaml, params/*.yaml and the rule packs *.yaml).
func LoadDir(dir string) (*RuleSet, error) {
	return LoadFS(os.DirFS(dir), dir)
}
