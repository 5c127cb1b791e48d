package checklists

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// LoadError is one defect found while loading rules: where it is and, when known,
// the rule code (or jurisdiction, or source id) it belongs to.
type LoadError struct {
	File    string
	Line    int
	Code    string
	Message string
}

// Error formats the defect as "file:line: CODE: message".
func (e LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Code != "" {
		b.WriteString(e.Code + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// LoadErrors is every defect found in one load, in file and line order.
type LoadErrors []LoadError

// Error lists all the defects, one per line.
func (es LoadErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Pack is one rule file.
type Pack struct {
	Name  string `json:"name"`
	Title Text   `json:"title"`
	File  string `json:"file"`
	Rules int    `json:"rules"`
}

// Source is a legal source or standard rules cite, from sources.yaml.
type Source struct {
	ID      string
	Name    string
	Edition string
	// Jurisdiction, for a local regulation, is the place it binds: a rule citing it
	// must be conditioned so that it applies only there.
	Jurisdiction string
	// Requires names a boolean site attribute (e.g. high_rise) the source's scope is
	// limited to: a rule citing it must require that attribute in its condition.
	Requires string
	// Note says what the rules need to know about the source (edition changes,
	// verification status).
	Note string
	// Omitted lists the source's clauses the pack deliberately does not turn into
	// checklist items, with the reason (see Coverage).
	Omitted []Omission
}

// Omission is a clause of a source deliberately left out of the rule packs.
type Omission struct {
	Clause string `json:"clause"`
	Why    string `json:"why"`
}

// RuleSet is a loaded, checked set of rules with its jurisdiction parameter packs.
// It is read-only after loading and safe for concurrent use.
type RuleSet struct {
	// Version is a content hash of every file the rules were loaded from.
	Version string
	// Rules are in checklist order: by location (walking in from outdoors), then code.
	Rules         []Rule
	Packs         []Pack
	Sources       []Source
	Jurisdictions []*Jurisdiction

	byCode   map[string]int
	compiled []compiledRule
	// fields are the agencies' fields (fields.yaml), by name.
	fields []Field
}

// Rule returns the rule with the given code.
func (rs *RuleSet) Rule(code string) (Rule, bool) {
	i, ok := rs.byCode[code]
	if !ok {
		return Rule{}, false
	}
	return rs.Rules[i], true
}

// Jurisdiction returns the parameter pack with the given code.
func (rs *RuleSet) Jurisdiction(code string) (*Jurisdiction, bool) {
	for _, j := range rs.Jurisdictions {
		if j.Code == code {
			return j, true
		}
	}
	return nil, false
}

// compiledRule is a rule ready for evaluation: its site types as a bit mask, its
// condition compiled, and its texts rendered once per jurisdiction.
type compiledRule struct {
	siteMask uint64
	cond     *cond
	texts    []ruleTexts // by jurisdiction bit
}

type ruleTexts struct{ title, explanation Text }

// loader collects every defect while reading one rule folder.
type loader struct {
	fsys fs.FS
	root string // how file names are shown: the folder as the user named it
	errs LoadErrors
	// codes maps each rule code seen to where it was first defined.
	codes map[string]string
}

func (l *loader) errorf(file string, line int, code, format string, args ...any) {
	l.errs = append(l.errs, LoadError{File: file, Line: line, Code: code, Message: fmt.Sprintf(format, args...)})
}

func (l *loader) display(file string) string { return path.Join(l.root, file) }

const sourcesFile = "sources.yaml"

// LoadFS loads the rule folder at the root of fsys; root is the folder's name as
// shown in error messages. All defects are returned together as LoadErrors.
func LoadFS(fsys fs.FS, root string) (*RuleSet, error) {
	l := &loader{fsys: fsys, root: root, codes: map[string]string{}}
	packFiles, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	paramFiles, err := fs.Glob(fsys, "params/*.yaml")
	if err != nil {
		return nil, err
	}
	packFiles = slices.DeleteFunc(packFiles, func(f string) bool { return f == sourcesFile || f == fieldsFile })
	if len(packFiles) == 0 {
		return nil, LoadErrors{{File: root, Message: "no rule packs (*.yaml) found"}}
	}
	version, err := contentVersion(fsys, append(append([]string{sourcesFile}, paramFiles...), packFiles...))
	if err != nil {
		return nil, err
	}
	rs := &RuleSet{Version: version, byCode: map[string]int{}}
	rs.Sources = l.loadSources()
	rs.Jurisdictions = l.loadParamPacks(paramFiles)
	for _, src := range rs.Sources {
		if _, ok := rs.Jurisdiction(src.Jurisdiction); src.Jurisdiction != "" && !ok {
			l.errorf(l.display(sourcesFile), 0, src.ID, "unknown jurisdiction %q", src.Jurisdiction)
		}
	}
	env := &condEnv{params: paramNames(rs.Jurisdictions)}
	for _, j := range rs.Jurisdictions {
		env.jurisdictions = append(env.jurisdictions, j.Code)
	}
	type loaded struct {
		rule Rule
		comp compiledRule
	}
	var all []loaded
	for _, file := range packFiles {
		pack, rules, comps := l.loadPack(file, rs, env)
		if pack.Name == "" {
			continue
		}
		rs.Packs = append(rs.Packs, pack)
		for i, r := range rules {
			all = append(all, loaded{r, comps[i]})
		}
	}
	if len(l.errs) > 0 {
		slices.SortStableFunc(l.errs, func(a, b LoadError) int {
			if c := strings.Compare(a.File, b.File); c != 0 {
				return c
			}
			return a.Line - b.Line
		})
		return nil, l.errs
	}
	slices.SortStableFunc(all, func(a, b loaded) int {
		if c := locationRank(a.rule.Location) - locationRank(b.rule.Location); c != 0 {
			return c
		}
		return strings.Compare(a.rule.Code, b.rule.Code)
	})
	for i, x := range all {
		rs.Rules = append(rs.Rules, x.rule)
		rs.compiled = append(rs.compiled, x.comp)
		rs.byCode[x.rule.Code] = i
	}
	if l.loadFields(rs); len(l.errs) > 0 {
		return nil, l.errs
	}
	return rs, nil
}

// contentVersion hashes the named files, in name order, into a short version string.
func contentVersion(fsys fs.FS, files []string) (string, error) {
	files = slices.Clone(files)
	slices.Sort(files)
	h := sha256.New()
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if errors.Is(err, fs.ErrNotExist) {
			continue // reported by the loader
		}
		if err != nil {
			return "", fmt.Errorf("read rule file %s: %w", f, err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(data))
		h.Write(data)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

// parseYAML reads file and returns its top-level mapping, or nil after recording
// why it could not.
func (l *loader) parseYAML(file string) *yaml.Node {
	shown := l.display(file)
	data, err := fs.ReadFile(l.fsys, file)
	if err != nil {
		l.errorf(shown, 0, "", "cannot read: %s", err.Error())
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlErrorLine(err)
		l.errorf(shown, line, "", "%s", msg)
		return nil
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		l.errorf(shown, 1, "", "expected a YAML mapping at the top of the file")
		return nil
	}
	return doc.Content[0]
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, m[2]
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

// eachField calls fn for each key of the mapping n, reporting duplicate keys.
func (l *loader) eachField(file string, n *yaml.Node, code string, fn func(key string, keyLine int, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		l.errorf(file, n.Line, code, "expected a mapping of fields")
		return
	}
	var seen []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if slices.Contains(seen, k.Value) {
			l.errorf(file, k.Line, code, "field %q given twice", k.Value)
			continue
		}
		seen = append(seen, k.Value)
		fn(k.Value, k.Line, n.Content[i+1])
	}
}

func (l *loader) str(file string, v *yaml.Node, code string) string {
	if v.Kind != yaml.ScalarNode {
		l.errorf(file, v.Line, code, "expected a single value, found a %s", nodeKind(v))
		return ""
	}
	return strings.TrimSpace(v.Value)
}

func (l *loader) strList(file string, v *yaml.Node, code, field string) []string {
	if v.Kind != yaml.SequenceNode {
		l.errorf(file, v.Line, code, "%s must be a list", field)
		return nil
	}
	out := make([]string, 0, len(v.Content))
	for _, item := range v.Content {
		out = append(out, l.str(file, item, code))
	}
	return out
}

func (l *loader) text(file string, v *yaml.Node, code, field string) Text {
	var t Text
	l.strFields(file, v, code, field+": unknown language", []string{"zh", "en"}, &t.ZH, &t.EN)
	return t
}

// strFields reads mapping v, whose keys are names with single values, into
// into[i] for names[i]; any other key is reported after unknown ("citation:
// unknown field"), with the names it may be.
func (l *loader) strFields(file string, v *yaml.Node, code, unknown string, names []string, into ...*string) {
	l.eachField(file, v, code, func(key string, keyLine int, fv *yaml.Node) {
		if i := slices.Index(names, key); i >= 0 {
			*into[i] = l.str(file, fv, code)
			return
		}
		l.errorf(file, keyLine, code, "%s %q (%s)", unknown, key, strings.Join(names, ", "))
	})
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "value"
}

func (l *loader) loadSources() []Source {
	root := l.parseYAML(sourcesFile)
	if root == nil {
		return nil
	}
	file := l.display(sourcesFile)
	var out []Source
	l.eachField(file, root, "", func(key string, keyLine int, v *yaml.Node) {
		if key != "sources" {
			l.errorf(file, keyLine, "", "unknown field %q (sources)", key)
			return
		}
		if v.Kind != yaml.MappingNode {
			l.errorf(file, v.Line, "", "sources must be a mapping of id to source")
			return
		}
		for i := 0; i+1 < len(v.Content); i += 2 {
			id, sv := v.Content[i].Value, v.Content[i+1]
			s := Source{ID: id}
			l.eachField(file, sv, id, func(key string, keyLine int, fv *yaml.Node) {
				switch key {
				case "name":
					s.Name = l.str(file, fv, id)
				case "edition":
					s.Edition = l.str(file, fv, id)
				case "jurisdiction":
					s.Jurisdiction = l.str(file, fv, id)
				case "requires":
					s.Requires = l.str(file, fv, id)
					if a := lookupAttribute(s.Requires); a < 0 || attributes[a].kind != kindBool {
						l.errorf(file, fv.Line, id, "requires: %q is not a boolean site attribute", s.Requires)
					}
				case "note":
					s.Note = l.str(file, fv, id)
				case "omitted":
					s.Omitted = l.omissions(file, fv, id)
				default:
					l.errorf(file, keyLine, id, "unknown field %q (name, edition, jurisdiction, requires, note, omitted)", key)
				}
			})
			if s.Name == "" {
				l.errorf(file, v.Content[i].Line, id, "source has no name")
			}
			if slices.ContainsFunc(out, func(o Source) bool { return o.ID == id }) {
				l.errorf(file, v.Content[i].Line, id, "source id defined twice")
				continue
			}
			out = append(out, s)
		}
	})
	return out
}

// sequence reads the YAML list v, element by element with item, which returns
// false to leave an element out (having reported why); anything but a list is
// reported as mustBe.
func sequence[T any](l *loader, file string, v *yaml.Node, code, mustBe string, item func(n *yaml.Node) (T, bool)) []T {
	if v.Kind != yaml.SequenceNode {
		l.errorf(file, v.Line, code, "%s", mustBe)
		return nil
	}
	var out []T
	for _, n := range v.Content {
		if x, ok := item(n); ok {
			out = append(out, x)
		}
	}
	return out
}

func (l *loader) omissions(file string, v *yaml.Node, id string) []Omission {
	return sequence(l, file, v, id, "omitted must be a list of {clause, why}", func(n *yaml.Node) (Omission, bool) {
		var o Omission
		l.strFields(file, n, id, "omitted: unknown field", []string{"clause", "why"}, &o.Clause, &o.Why)
		if o.Clause == "" || o.Why == "" {
			l.errorf(file, n.Line, id, "omitted: every entry needs a clause and why it is left out")
			return o, false
		}
		return o, true
	})
}
