package storage

import (
	"strconv"
	"strings"

	"github.com/safegrid/safegrid/inspect"
)

// sqlWhere builds a WHERE clause from the conditions a request uses, and only
// those. A list query written once with every filter optional ("$5 = 0 OR
// h.site_id = $5") is one prepared statement: after five runs Postgres may switch
// it to a generic plan, made for no filter in particular, that can use no index.
// With the clause built per request, each combination of filters is its own
// statement with its own plan.
type sqlWhere struct {
	conds []string
	args  []any
}

// add appends cond, whose ? placeholders take args in order.
func (w *sqlWhere) add(cond string, args ...any) {
	var b strings.Builder
	i := 0
	for _, r := range cond {
		if r == '?' && i < len(args) {
			b.WriteString(w.arg(args[i]))
			i++
			continue
		}
		b.WriteRune(r)
	}
	w.conds = append(w.conds, b.String())
}

// arg adds one argument and returns its placeholder ($n).
func (w *sqlWhere) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// sql returns the conditions joined by AND; TRUE when there are none.
func (w *sqlWhere) sql() string {
	if len(w.conds) == 0 {
		return "TRUE"
	}
	return "(" + strings.Join(w.conds, ") AND (") + ")"
}

// addSearch appends the hazard list's search: the text within the site's name or
// address, the rule's code or title (either language), any case; or the hazard's
// number. The text is matched literally (LIKE's % and _ escaped).
func (w *sqlWhere) addSearch(f inspect.HazardFilter) {
	pat := w.arg("%" + likeEscaper.Replace(f.Search) + "%")
	cond := "s.name ILIKE " + pat + " OR s.address ILIKE " + pat + " OR h.rule_code ILIKE " + pat +
		" OR h.rule->'title'->>'zh' ILIKE " + pat + " OR h.rule->'title'->>'en' ILIKE " + pat
	if id, ok := f.SearchID(); ok {
		cond += " OR h.id = " + w.arg(id)
	}
	w.conds = append(w.conds, cond)
}

// likeEscaper escapes LIKE's wildcards and its escape character.
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// textSlice converts a slice of string-like values for a text[] argument.
func textSlice[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
