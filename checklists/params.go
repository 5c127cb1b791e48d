package checklists

import (
	"fmt"
	"path"
	"slices"

	"gopkg.in/yaml.v3"
)

// NationalJurisdiction is the code of the default parameter pack. Every parameter is
// defined there; other packs may only override parameters it defines.
const NationalJurisdiction = "national"

// maxJurisdictions bounds the packs: a jurisdiction and its ancestors are one bit set.
const maxJurisdictions = 64

// Param is one named threshold that differs by place, with its provenance.
type Param struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit,omitempty"`
	About  Text    `json:"about"`
	Source string  `json:"source"`
	Status string  `json:"status"`         // V, S or U as in the research notes
	From   string  `json:"from"`           // the jurisdiction whose pack set this value
	File   string  `json:"file,omitempty"` // where the value was set
	Line   int     `json:"line,omitempty"` // line of the value
	Note   string  `json:"note,omitempty"` // free remark from the pack
	index  int     // slot in Jurisdiction.values
}

// Jurisdiction is a parameter pack: a place (province, city) whose thresholds
// override those of its parent, ending at the national pack.
type Jurisdiction struct {
	Code   string
	Name   Text
	Parent string
	File   string
	// Params are the effective values here, own or inherited, in definition order.
	Params []Param

	bit    int
	chain  uint64    // bits of this jurisdiction and its ancestors
	values []float64 // Params[i].Value by parameter slot
}

// Param returns the effective parameter called name.
func (j *Jurisdiction) Param(name string) (Param, bool) {
	for _, p := range j.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// paramPack is a parsed params/*.yaml file before inheritance is resolved.
type paramPack struct {
	code   string
	name   Text
	parent string
	file   string
	line   int
	params []Param
}

// loadParamPacks parses every params/*.yaml file and resolves inheritance. It
// returns the jurisdictions in file-name order with national first.
func (l *loader) loadParamPacks(files []string) []*Jurisdiction {
	var packs []*paramPack
	seen := map[string]*paramPack{}
	for _, file := range files {
		pk := l.parseParamPack(file)
		if pk == nil {
			continue
		}
		if prev, dup := seen[pk.code]; dup {
			l.errorf(file, pk.line, pk.code, "jurisdiction %q already defined in %s", pk.code, prev.file)
			continue
		}
		seen[pk.code] = pk
		packs = append(packs, pk)
	}
	national := seen[NationalJurisdiction]
	if national == nil {
		l.errorf(path.Join(l.root, "params"), 0, "", "no %s parameter pack (params/%s.yaml)", NationalJurisdiction, NationalJurisdiction)
		return nil
	}
	if national.parent != "" {
		l.errorf(national.file, national.line, NationalJurisdiction, "the national pack has no parent")
	}
	// National first, then the rest in file order.
	slices.SortStableFunc(packs, func(a, b *paramPack) int {
		return boolCmp(a.code != NationalJurisdiction, b.code != NationalJurisdiction)
	})
	if len(packs) > maxJurisdictions {
		l.errorf(path.Join(l.root, "params"), 0, "", "%d jurisdictions; at most %d are supported", len(packs), maxJurisdictions)
		packs = packs[:maxJurisdictions]
	}
	for i := range national.params {
		national.params[i].index = i
		national.params[i].From = NationalJurisdiction
	}
	var out []*Jurisdiction
	byCode := map[string]*Jurisdiction{}
	for i, pk := range packs {
		j := &Jurisdiction{Code: pk.code, Name: pk.name, Parent: pk.parent, File: pk.file, bit: i}
		out = append(out, j)
		byCode[pk.code] = j
	}
	// Resolve each pack's chain up to national, then its values top-down.
	for i, pk := range packs {
		j := out[i]
		if pk.code == NationalJurisdiction {
			continue
		}
		if pk.parent == "" {
			pk.parent = NationalJurisdiction
			j.Parent = NationalJurisdiction
		}
		if byCode[pk.parent] == nil {
			l.errorf(pk.file, pk.line, pk.code, "unknown parent jurisdiction %q", pk.parent)
			j.Parent = NationalJurisdiction
		}
		for _, p := range pk.params {
			if !slices.ContainsFunc(national.params, func(n Param) bool { return n.Name == p.Name }) {
				l.errorf(pk.file, p.Line, pk.code, "unknown parameter %q: a pack may only override parameters defined in the national pack", p.Name)
			}
		}
	}
	for _, j := range out {
		var lineage []*Jurisdiction // j, parent, ..., national
		for cur := j; cur != nil; {
			if slices.Contains(lineage, cur) {
				l.errorf(j.File, 0, j.Code, "jurisdiction parents form a cycle")
				lineage = []*Jurisdiction{j, byCode[NationalJurisdiction]}
				break
			}
			lineage = append(lineage, cur)
			if cur.Code == NationalJurisdiction {
				break
			}
			cur = byCode[cur.Parent]
		}
		for _, a := range lineage {
			j.chain |= 1 << a.bit
		}
		j.Params = slices.Clone(national.params)
		for k := len(lineage) - 2; k >= 0; k-- { // from just below national down to j
			pk := seen[lineage[k].Code]
			for _, ov := range pk.params {
				idx := slices.IndexFunc(j.Params, func(n Param) bool { return n.Name == ov.Name })
				if idx < 0 {
					continue // reported above
				}
				base := j.Params[idx]
				ov.index, ov.From = idx, pk.code
				if ov.Unit == "" {
					ov.Unit = base.Unit
				}
				if ov.About == (Text{}) {
					ov.About = base.About
				}
				j.Params[idx] = ov
			}
		}
		j.values = make([]float64, len(j.Params))
		for i, p := range j.Params {
			j.values[i] = p.Value
		}
	}
	return out
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func (l *loader) parseParamPack(file string) *paramPack {
	root := l.parseYAML(file)
	if root == nil {
		return nil
	}
	pk := &paramPack{file: l.display(file), line: root.Line}
	var paramsNode *yaml.Node
	l.eachField(pk.file, root, "", func(key string, keyLine int, v *yaml.Node) {
		switch key {
		case "jurisdiction":
			pk.code = l.str(pk.file, v, "")
		case "name":
			pk.name = l.text(pk.file, v, "", "name")
		case "parent":
			pk.parent = l.str(pk.file, v, "")
		case "params":
			paramsNode = v
		default:
			l.errorf(pk.file, keyLine, "", "unknown field %q in parameter pack", key)
		}
	})
	if pk.code == "" {
		l.errorf(pk.file, root.Line, "", "parameter pack has no jurisdiction code")
		return nil
	}
	if !codePattern(pk.code, false) {
		l.errorf(pk.file, root.Line, pk.code, "jurisdiction code must be lower_snake_case")
	}
	if pk.name.ZH == "" || pk.name.EN == "" {
		l.errorf(pk.file, root.Line, pk.code, "name needs zh and en")
	}
	if paramsNode == nil {
		return pk
	}
	if paramsNode.Kind != yaml.MappingNode {
		l.errorf(pk.file, paramsNode.Line, pk.code, "params must be a mapping of name to value")
		return pk
	}
	isNational := pk.code == NationalJurisdiction
	for i := 0; i+1 < len(paramsNode.Content); i += 2 {
		k, v := paramsNode.Content[i], paramsNode.Content[i+1]
		p := Param{Name: k.Value, File: pk.file, Line: k.Line}
		if slices.ContainsFunc(pk.params, func(o Param) bool { return o.Name == p.Name }) {
			l.errorf(pk.file, k.Line, pk.code, "parameter %q defined twice", p.Name)
			continue
		}
		if !codePattern(p.Name, false) {
			l.errorf(pk.file, k.Line, pk.code, "parameter name %q must be lower_snake_case", p.Name)
		}
		hasValue := false
		l.eachField(pk.file, v, pk.code, func(key string, keyLine int, fv *yaml.Node) {
			switch key {
			case "value":
				hasValue = true
				if err := fv.Decode(&p.Value); err != nil || fv.Kind != yaml.ScalarNode {
					l.errorf(pk.file, fv.Line, pk.code, "parameter %s: value must be a number", p.Name)
				}
			case "unit":
				p.Unit = l.str(pk.file, fv, pk.code)
			case "about":
				p.About = l.text(pk.file, fv, pk.code, "about")
			case "source":
				p.Source = l.str(pk.file, fv, pk.code)
			case "status":
				p.Status = l.str(pk.file, fv, pk.code)
			case "note":
				p.Note = l.str(pk.file, fv, pk.code)
			default:
				l.errorf(pk.file, keyLine, pk.code, "parameter %s: unknown field %q", p.Name, key)
			}
		})
		if !hasValue {
			l.errorf(pk.file, k.Line, pk.code, "parameter %s has no value", p.Name)
		}
		if p.Source == "" {
			l.errorf(pk.file, k.Line, pk.code, "parameter %s has no source (provenance is required)", p.Name)
		}
		if !validStatus(p.Status) {
			l.errorf(pk.file, k.Line, pk.code, "parameter %s: status must be V, S or U, not %q", p.Name, p.Status)
		}
		if isNational && (p.About.ZH == "" || p.About.EN == "") {
			l.errorf(pk.file, k.Line, pk.code, "parameter %s: about needs zh and en", p.Name)
		}
		pk.params = append(pk.params, p)
	}
	return pk
}

// paramNames returns the parameter names of the national pack by slot.
func paramNames(js []*Jurisdiction) []string {
	if len(js) == 0 {
		return nil
	}
	names := make([]string, len(js[0].Params))
	for i, p := range js[0].Params {
		names[i] = p.Name
	}
	return names
}

func validStatus(s string) bool { return s == "V" || s == "S" || s == "U" }

// codePattern reports whether s is lower_snake_case (upper=false) or an
// upper-case rule code like EXIT-001 (upper=true).
func codePattern(s string, upper bool) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	if upper {
		dash := -1
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c >= 'A' && c <= 'Z' && dash < 0:
			case c == '-' && dash < 0 && i > 0:
				dash = i
			case c >= '0' && c <= '9' && dash >= 0:
			default:
				return false
			}
		}
		return dash > 0 && len(s)-dash == 4
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' && i > 0 || c == '_' && i > 0) {
			return false
		}
	}
	return true
}

// String formats the parameter as "name = value unit".
func (p Param) String() string {
	return fmt.Sprintf("%s = %s %s", p.Name, formatNumber(p.Value), p.Unit)
}
