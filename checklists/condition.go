package checklists

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// A condition decides whether a rule applies to a site. It is written in a rule's
// "when" field in a small typed language:
//
//	floors > 3 and max_floor_area_m2 > 200
//	gas == "lpg" and not below_grade_use
//	site_type in ["hotel", "guesthouse"] or equipment_rooms has "generator"
//	rooms >= param.rental_smoke_alarm_min_rooms
//	jurisdiction == "zhejiang"
//
// Operands on the left are site attributes (see AttributeNames); on the right a
// number, a "string" value of the attribute's list, or param.NAME, a jurisdiction
// parameter. Boolean attributes stand alone. Operators: and, or, not, parentheses,
// == != < <= > >= (numbers), == != in [...] (enums), has (sets). For the jurisdiction
// attribute, == and in mean "is that jurisdiction or lies within it", so a rule for
// "zhejiang" also applies in "hangzhou". Everything is checked when the rules load.

type condOp uint8

const (
	opTrue condOp = iota
	opAnd
	opOr
	opNot
	opBool // boolean attribute is true
	opCmp  // numeric attribute compared with a literal or a parameter
	opBits // enum, set or jurisdiction attribute intersects mask
)

type cmpOp uint8

const (
	cmpEQ cmpOp = iota
	cmpNE
	cmpLT
	cmpLE
	cmpGT
	cmpGE
)

var cmpText = [...]string{"==", "!=", "<", "<=", ">", ">="}

// negated returns the operator that holds exactly when o does not.
func (o cmpOp) negated() cmpOp {
	return [...]cmpOp{cmpNE, cmpEQ, cmpGE, cmpGT, cmpLE, cmpLT}[o]
}

// cond is a compiled condition node.
type cond struct {
	op     condOp
	kids   []*cond
	attr   int
	cmp    cmpOp
	lit    float64
	param  int    // parameter index for opCmp, or -1 for a literal
	pname  string // parameter name, for explanations
	mask   uint64
	negate bool   // opBits: true for != (the attribute must not intersect mask)
	label  string // opBits: the values as written, for explanations
}

func (c *cond) eval(f *facts) bool {
	switch c.op {
	case opTrue:
		return true
	case opAnd:
		for _, k := range c.kids {
			if !k.eval(f) {
				return false
			}
		}
		return true
	case opOr:
		for _, k := range c.kids {
			if k.eval(f) {
				return true
			}
		}
		return false
	case opNot:
		return !c.kids[0].eval(f)
	case opBool:
		return f.num[c.attr] != 0
	case opCmp:
		rhs := c.lit
		if c.param >= 0 {
			rhs = f.params[c.param]
		}
		return compare(f.num[c.attr], c.cmp, rhs)
	case opBits:
		return (f.bits[c.attr]&c.mask != 0) != c.negate
	}
	return false
}

func compare(a float64, op cmpOp, b float64) bool {
	switch op {
	case cmpEQ:
		return a == b
	case cmpNE:
		return a != b
	case cmpLT:
		return a < b
	case cmpLE:
		return a <= b
	case cmpGT:
		return a > b
	case cmpGE:
		return a >= b
	}
	return false
}

// explain appends to out the attribute values that make c evaluate to want. It is
// only called for conditions that did evaluate to want.
func (c *cond) explain(f *facts, want bool, out []string) []string {
	switch c.op {
	case opAnd, opOr:
		// An "and" that holds, or an "or" that fails, needs every part; otherwise one
		// part that decided it is the reason.
		all := (c.op == opAnd) == want
		for _, k := range c.kids {
			if k.eval(f) == want {
				out = k.explain(f, want, out)
				if !all {
					return out
				}
			}
		}
		return out
	case opNot:
		return c.kids[0].explain(f, !want, out)
	case opBool:
		r := attributes[c.attr].name + " = " + strconv.FormatBool(f.num[c.attr] != 0)
		if c.attr == attrHighRise {
			// Derived from the height unless given: show what it rests on.
			r += " (" + heightReason(f) + ")"
		}
		return addReason(out, r)
	case opCmp:
		op := c.cmp
		if !want {
			op = op.negated()
		}
		rhs := formatNumber(c.lit)
		if c.param >= 0 {
			rhs = c.pname + " = " + formatNumber(f.params[c.param])
		}
		r := fmt.Sprintf("%s = %s (%s %s)", attributes[c.attr].name, formatNumber(f.num[c.attr]), cmpText[op], rhs)
		if c.attr == attrBuildingHeight && f.heightInferred {
			r = heightReason(f) + " (" + cmpText[op] + " " + rhs + ")"
		}
		return addReason(out, r)
	case opBits:
		a := &attributes[c.attr]
		switch a.kind {
		case kindSet:
			verb := " has "
			if (f.bits[c.attr]&c.mask != 0) != true {
				verb = " lacks "
			}
			return addReason(out, a.name+verb+c.label)
		case kindJurisdiction:
			inside := f.bits[c.attr]&c.mask != 0
			if inside {
				return addReason(out, fmt.Sprintf("jurisdiction = %s (within %s)", f.jur.Code, c.label))
			}
			return addReason(out, fmt.Sprintf("jurisdiction = %s (not within %s)", f.jur.Code, c.label))
		default:
			return addReason(out, a.name+" = "+bitValue(a.values, f.bits[c.attr]))
		}
	}
	return out
}

// heightReason shows the building height a decision rests on, and says so when it
// was inferred from the storeys rather than given.
func heightReason(f *facts) string {
	h := formatNumber(f.num[attrBuildingHeight])
	if !f.heightInferred {
		return "building_height_m = " + h
	}
	return "building_height_m inferred = " + h + " from floors = " + formatNumber(f.num[attrFloors]) +
		" × " + formatNumber(f.storeyM) + " m; give building_height_m to confirm"
}

func addReason(out []string, r string) []string {
	if slices.Contains(out, r) {
		return out
	}
	return append(out, r)
}

func bitValue(values []string, b uint64) string {
	if b == 0 {
		return "none"
	}
	i := bits.TrailingZeros64(b)
	if i < len(values) {
		return values[i]
	}
	return "?"
}

// formatNumber prints v with at most two decimals (a ratio such as 4.7368… m² per
// person shows as 4.74).
func formatNumber(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// condEnv is what the compiler resolves names against.
type condEnv struct {
	params        []string // parameter names, index = slot
	jurisdictions []string // jurisdiction codes, index = bit
}

const (
	maxCondLen   = 4000
	maxCondDepth = 40
)

// compileCondition parses and type-checks src. An empty condition is always true.
func compileCondition(src string, env *condEnv) (*cond, error) {
	if strings.TrimSpace(src) == "" {
		return &cond{op: opTrue}, nil
	}
	if len(src) > maxCondLen {
		return nil, fmt.Errorf("condition longer than %d characters", maxCondLen)
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &condParser{toks: toks, env: env}
	c, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, fmt.Errorf("unexpected %s at column %d", t, t.pos+1)
	}
	return c, nil
}

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokIdent
	tokNumber
	tokString
	tokOp
	tokLParen
	tokRParen
	tokLBrack
	tokRBrack
	tokComma
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func (t token) String() string {
	if t.kind == tokEOF {
		return "end of condition"
	}
	return strconv.Quote(t.text)
}

func lex(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == '[' || c == ']' || c == ',':
			kind := map[byte]tokKind{'(': tokLParen, ')': tokRParen, '[': tokLBrack, ']': tokRBrack, ',': tokComma}[c]
			toks = append(toks, token{kind, string(c), i})
			i++
		case c == '=' || c == '!' || c == '<' || c == '>':
			j := i + 1
			if j < len(src) && src[j] == '=' {
				j++
			}
			op := src[i:j]
			if op == "=" || op == "!" {
				return nil, fmt.Errorf("unknown operator %q at column %d (use == or !=)", op, i+1)
			}
			toks = append(toks, token{tokOp, op, i})
			i = j
		case c == '"':
			j := strings.IndexByte(src[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("unterminated string at column %d", i+1)
			}
			toks = append(toks, token{tokString, src[i+1 : i+1+j], i})
			i += j + 2
		case c >= '0' && c <= '9' || c == '-' || c == '.':
			j := i + 1
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			toks = append(toks, token{tokNumber, src[i:j], i})
			i = j
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_':
			j := i + 1
			for j < len(src) && (src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9' || src[j] == '_' || src[j] == '.') {
				j++
			}
			toks = append(toks, token{tokIdent, src[i:j], i})
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q at column %d", rune(c), i+1)
		}
	}
	return append(toks, token{tokEOF, "", len(src)}), nil
}

type condParser struct {
	toks []token
	i    int
	env  *condEnv
}

func (p *condParser) peek() token { return p.toks[p.i] }

func (p *condParser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *condParser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tokIdent && t.text == w
}

func (p *condParser) parseOr(depth int) (*cond, error) {
	return p.parseChain(depth, "or", opOr, p.parseAnd)
}

func (p *condParser) parseAnd(depth int) (*cond, error) {
	return p.parseChain(depth, "and", opAnd, p.parseUnary)
}

func (p *condParser) parseChain(depth int, word string, op condOp, sub func(int) (*cond, error)) (*cond, error) {
	first, err := sub(depth)
	if err != nil {
		return nil, err
	}
	if !p.isWord(word) {
		return first, nil
	}
	c := &cond{op: op, kids: []*cond{first}}
	for p.isWord(word) {
		p.next()
		k, err := sub(depth)
		if err != nil {
			return nil, err
		}
		c.kids = append(c.kids, k)
	}
	return c, nil
}

func (p *condParser) parseUnary(depth int) (*cond, error) {
	if depth > maxCondDepth {
		return nil, fmt.Errorf("condition nested deeper than %d levels", maxCondDepth)
	}
	t := p.next()
	switch {
	case t.kind == tokIdent && t.text == "not":
		k, err := p.parseUnary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &cond{op: opNot, kids: []*cond{k}}, nil
	case t.kind == tokLParen:
		c, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if r := p.next(); r.kind != tokRParen {
			return nil, fmt.Errorf("expected \")\" at column %d, found %s", r.pos+1, r)
		}
		return c, nil
	case t.kind == tokIdent && t.text == "true":
		return &cond{op: opTrue}, nil
	case t.kind == tokIdent:
		return p.parseTest(t)
	}
	return nil, fmt.Errorf("expected an attribute, \"not\" or \"(\" at column %d, found %s", t.pos+1, t)
}

// parseTest parses a test on one attribute, whose name has been read.
func (p *condParser) parseTest(name token) (*cond, error) {
	if strings.HasPrefix(name.text, "param.") {
		return nil, fmt.Errorf("parameter %s at column %d must be on the right of a comparison", name.text, name.pos+1)
	}
	slot := lookupAttribute(name.text)
	if slot < 0 {
		return nil, fmt.Errorf("unknown attribute %q", name.text)
	}
	a := &attributes[slot]
	op := p.peek()
	switch a.kind {
	case kindBool:
		if op.kind != tokOp {
			return &cond{op: opBool, attr: slot}, nil
		}
		p.next()
		v := p.next()
		if (op.text != "==" && op.text != "!=") || v.kind != tokIdent || (v.text != "true" && v.text != "false") {
			return nil, fmt.Errorf("%s is a bool: use it alone, with not, or with == true/false", a.name)
		}
		c := &cond{op: opBool, attr: slot}
		if (op.text == "==") != (v.text == "true") {
			c = &cond{op: opNot, kids: []*cond{c}}
		}
		return c, nil
	case kindNumber:
		if op.kind != tokOp {
			return nil, fmt.Errorf("%s is a number: compare it with == != < <= > >=", a.name)
		}
		p.next()
		c := &cond{op: opCmp, attr: slot, cmp: cmpOp(slices.Index(cmpText[:], op.text)), param: -1}
		v := p.next()
		switch {
		case v.kind == tokNumber:
			f, err := strconv.ParseFloat(v.text, 64)
			if err != nil {
				return nil, fmt.Errorf("bad number %q at column %d", v.text, v.pos+1)
			}
			c.lit = f
		case v.kind == tokIdent && strings.HasPrefix(v.text, "param."):
			name := strings.TrimPrefix(v.text, "param.")
			c.param = slices.Index(p.env.params, name)
			if c.param < 0 {
				return nil, fmt.Errorf("unknown parameter %q", name)
			}
			c.pname = name
		default:
			return nil, fmt.Errorf("%s is a number: compare it with a number or param.NAME, not %s", a.name, v)
		}
		return c, nil
	case kindEnum, kindJurisdiction:
		values := a.values
		if a.kind == kindJurisdiction {
			values = p.env.jurisdictions
		}
		switch {
		case op.kind == tokOp && (op.text == "==" || op.text == "!="):
			p.next()
			v := p.next()
			if v.kind != tokString {
				return nil, fmt.Errorf("%s takes a quoted value, not %s", a.name, v)
			}
			bit, err := valueBit(a.name, values, v.text)
			if err != nil {
				return nil, err
			}
			return &cond{op: opBits, attr: slot, mask: bit, negate: op.text == "!=", label: v.text}, nil
		case op.kind == tokIdent && op.text == "in":
			p.next()
			mask, label, err := p.parseList(a.name, values)
			if err != nil {
				return nil, err
			}
			return &cond{op: opBits, attr: slot, mask: mask, label: label}, nil
		}
		return nil, fmt.Errorf("%s is an enum: use == \"value\", != \"value\" or in [\"a\", \"b\"]", a.name)
	case kindSet:
		if !(op.kind == tokIdent && op.text == "has") {
			return nil, fmt.Errorf("%s is a set: use has \"value\"", a.name)
		}
		p.next()
		v := p.next()
		if v.kind != tokString {
			return nil, fmt.Errorf("%s has takes a quoted value, not %s", a.name, v)
		}
		bit, err := valueBit(a.name, a.values, v.text)
		if err != nil {
			return nil, err
		}
		return &cond{op: opBits, attr: slot, mask: bit, label: v.text}, nil
	}
	return nil, fmt.Errorf("attribute %q cannot be tested", a.name)
}

func (p *condParser) parseList(attr string, values []string) (uint64, string, error) {
	if t := p.next(); t.kind != tokLBrack {
		return 0, "", fmt.Errorf("in takes a list [\"a\", \"b\"] at column %d", t.pos+1)
	}
	var mask uint64
	var names []string
	for {
		v := p.next()
		if v.kind != tokString {
			return 0, "", fmt.Errorf("%s in takes quoted values, found %s at column %d", attr, v, v.pos+1)
		}
		bit, err := valueBit(attr, values, v.text)
		if err != nil {
			return 0, "", err
		}
		mask |= bit
		names = append(names, v.text)
		sep := p.next()
		if sep.kind == tokRBrack {
			break
		}
		if sep.kind != tokComma {
			return 0, "", fmt.Errorf("expected \",\" or \"]\" at column %d, found %s", sep.pos+1, sep)
		}
	}
	return mask, strings.Join(names, "|"), nil
}

func valueBit(attr string, values []string, v string) (uint64, error) {
	i := slices.Index(values, v)
	if i < 0 {
		return 0, fmt.Errorf("unknown %s value %q (one of %s)", attr, v, strings.Join(values, ", "))
	}
	return 1 << i, nil
}
