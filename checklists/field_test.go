package checklists_test

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/safegrid/safegrid/checklists"
)

// TestFieldsShareGasRulesWithTheGasCompany pins the shipped mapping: every gas
// rule is the gas company's and none is the power company's.
func TestFieldsShareGasRulesWithTheGasCompany(t *testing.T) {
	t.Parallel()
	rs := setup(t)
	gas, ok := rs.Field("gas")
	if !ok {
		t.Fatal("no gas field")
	}
	power, ok := rs.Field("electrical")
	if !ok {
		t.Fatal("no electrical field")
	}
	for _, r := range rs.Rules {
		if strings.HasPrefix(r.Code, "GAS-") && !slices.Contains(gas.Rules, r.Code) {
			t.Errorf("gas rule %s is not in the gas field", r.Code)
		}
	}
	for _, code := range power.Rules {
		if slices.Contains(gas.Rules, code) {
			t.Errorf("rule %s is both gas and electrical", code)
		}
	}
	if !gas.HasAction("supply_cut_off") || !gas.HasAction("valve_fitted") || gas.HasAction("case_opened") {
		t.Errorf("gas actions = %+v", gas.Actions)
	}
	if len(rs.Fields()) < 4 {
		t.Errorf("fields = %d, want gas, electrical, police and market", len(rs.Fields()))
	}
}

func TestFieldsRefuseUnknownRules(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, yaml, want string }{
		{"unknown code", "fields:\n  gas:\n    title: {zh: 燃气, en: Gas}\n    agency: {zh: 燃气公司, en: gas company}\n    rules: [GAS-999]\n    actions:\n      cut: {zh: 停气, en: Cut}\n", `"GAS-999" names no rule`},
		{"prefix matching nothing", "fields:\n  gas:\n    title: {zh: 燃气, en: Gas}\n    agency: {zh: 燃气公司, en: gas company}\n    rules: [NOPE-*]\n    actions:\n      cut: {zh: 停气, en: Cut}\n", `"NOPE-*" names no rule`},
		{"no actions", "fields:\n  gas:\n    title: {zh: 燃气, en: Gas}\n    agency: {zh: 燃气公司, en: gas company}\n    rules: [GAS-001]\n", "at least one action"},
		{"unknown key", "fields:\n  gas:\n    title: {zh: 燃气, en: Gas}\n    agency: {zh: 燃气公司, en: gas company}\n    rules: [GAS-001]\n    actoins: {}\n", `unknown field "actoins"`},
		{"bad name", "fields:\n  Gas Co:\n    title: {zh: 燃气, en: Gas}\n    agency: {zh: 燃气公司, en: gas company}\n    rules: [GAS-001]\n    actions:\n      cut: {zh: 停气, en: Cut}\n", "a field name is"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := ruleFS(t)
			m["fields.yaml"] = &fstest.MapFile{Data: []byte(c.yaml)}
			_, err := checklists.LoadFS(m, "rules")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %s", err, c.want)
			}
		})
	}
	m := ruleFS(t)
	delete(m, "fields.yaml")
	rs, err := checklists.LoadFS(m, "rules")
	if err != nil || len(rs.Fields()) != 0 {
		t.Errorf("a folder without fields.yaml: %v, %d fields; want no error and no field", err, len(rs.Fields()))
	}
}
