package checklists

import (
	"errors"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// fieldsFile maps rules to the fields of the agencies that share their hazards.
const fieldsFile = "fields.yaml"

// Field is an agency's field of work (gas, electrical, police, market), from
// rules/fields.yaml: the rules whose hazards are shared with the agencies of the
// field, and the actions those agencies record on them.
type Field struct {
	Name string `json:"name"`
	// Title names the field; Agency names the kind of agency that works in it.
	Title  Text `json:"title"`
	Agency Text `json:"agency"`
	// Rules are the codes of the field's rules, sorted, with prefixes (GAS-*)
	// expanded against the loaded rules.
	Rules []string `json:"rules"`
	// Actions are what the field's agencies record on a shared hazard, by name.
	Actions []FieldAction `json:"actions"`
}

// FieldAction is one action an agency of a field records on a shared hazard.
type FieldAction struct {
	Name  string `json:"name"`
	Title Text   `json:"title"`
}

// HasAction reports whether name is one of the field's actions.
func (f Field) HasAction(name string) bool {
	return slices.ContainsFunc(f.Actions, func(a FieldAction) bool { return a.Name == name })
}

// Fields returns every field, by name.
func (rs *RuleSet) Fields() []Field { return slices.Clone(rs.fields) }

// Field returns the field called name.
func (rs *RuleSet) Field(name string) (Field, bool) {
	i := slices.IndexFunc(rs.fields, func(f Field) bool { return f.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return rs.fields[i], true
}

// fieldNamePattern is the form of field and action names: they are stored and
// sent in URLs and event payloads.
var fieldNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{1,31}$`)

// loadFields reads fields.yaml, if the folder has one, against the loaded rules:
// every code must be a rule and every prefix match one; names are lower snake
// case. A folder without the file has no fields (no hazard is shared).
func (l *loader) loadFields(rs *RuleSet) {
	data, err := fs.ReadFile(l.fsys, fieldsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	file := l.display(fieldsFile)
	if err != nil {
		l.errorf(file, 0, "", "cannot read: %s", err.Error())
		return
	}
	var doc struct {
		Fields yaml.Node `yaml:"fields"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		line, msg := yamlErrorLine(err)
		l.errorf(file, line, "", "%s", msg)
		return
	}
	if doc.Fields.Kind != yaml.MappingNode {
		l.errorf(file, 1, "", "fields must be a mapping of field name to field")
		return
	}
	for i := 0; i+1 < len(doc.Fields.Content); i += 2 {
		name, node := doc.Fields.Content[i].Value, doc.Fields.Content[i+1]
		var raw struct {
			Title   Text      `yaml:"title"`
			Agency  Text      `yaml:"agency"`
			Rules   []string  `yaml:"rules"`
			Actions yaml.Node `yaml:"actions"`
		}
		for j := 0; node.Kind == yaml.MappingNode && j+1 < len(node.Content); j += 2 {
			if k := node.Content[j]; !slices.Contains([]string{"title", "agency", "rules", "actions"}, k.Value) {
				l.errorf(file, k.Line, name, "unknown field %q (title, agency, rules, actions)", k.Value)
			}
		}
		if err := node.Decode(&raw); err != nil {
			l.errorf(file, node.Line, name, "%s", err.Error())
			continue
		}
		f := Field{Name: name, Title: raw.Title, Agency: raw.Agency, Rules: []string{}}
		if !fieldNamePattern.MatchString(name) {
			l.errorf(file, node.Line, name, "a field name is 2 to 32 lower-case letters, digits or _")
		}
		if slices.ContainsFunc(rs.fields, func(o Field) bool { return o.Name == name }) {
			l.errorf(file, node.Line, name, "field defined twice")
		}
		if f.Title.ZH == "" || f.Title.EN == "" || f.Agency.ZH == "" || f.Agency.EN == "" {
			l.errorf(file, node.Line, name, "a field needs title and agency in zh and en")
		}
		for _, code := range raw.Rules {
			matched := l.fieldRules(rs, code)
			if len(matched) == 0 {
				l.errorf(file, node.Line, name, "rules: %q names no rule", code)
			}
			f.Rules = append(f.Rules, matched...)
		}
		slices.Sort(f.Rules)
		f.Rules = slices.Compact(f.Rules)
		if len(f.Rules) == 0 {
			l.errorf(file, node.Line, name, "a field needs at least one rule")
		}
		for j := 0; j+1 < len(raw.Actions.Content); j += 2 {
			a := FieldAction{Name: raw.Actions.Content[j].Value}
			if err := raw.Actions.Content[j+1].Decode(&a.Title); err != nil || a.Title.ZH == "" || a.Title.EN == "" {
				l.errorf(file, raw.Actions.Content[j].Line, name, "action %q needs a title in zh and en", a.Name)
			}
			if !fieldNamePattern.MatchString(a.Name) || f.HasAction(a.Name) {
				l.errorf(file, raw.Actions.Content[j].Line, name, "action %q: names are lower-case letters, digits or _, once each", a.Name)
			}
			f.Actions = append(f.Actions, a)
		}
		if len(f.Actions) == 0 {
			l.errorf(file, node.Line, name, "a field needs at least one action")
		}
		rs.fields = append(rs.fields, f)
	}
	slices.SortFunc(rs.fields, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
}

// fieldRules returns the codes pattern names: itself when it is a rule's code,
// every rule starting with it when it ends in *.
func (l *loader) fieldRules(rs *RuleSet, pattern string) []string {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok && prefix != "" {
		var out []string
		for _, r := range rs.Rules {
			if strings.HasPrefix(r.Code, prefix) {
				out = append(out, r.Code)
			}
		}
		return out
	}
	if _, ok := rs.Rule(pattern); ok {
		return []string{pattern}
	}
	return nil
}
