package storage

import (
	"strconv"
	"strings"
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

// textSlice converts a slice of string-like values for a text[] argument.
func textSlice[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
