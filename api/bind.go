package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
)

// binder fills a route's input from the request, by the struct tags of its
// fields:
//
//   - `path:"id"`: a path parameter; int64 must be a positive whole number,
//     uuid.UUID a photo UUID, string kinds are copied as they are.
//   - `query:"limit" default:"50"`: a query parameter; int64 is an optional
//     positive id (0 when absent), int a whole number, bool true or false,
//     []string kinds a repeated or comma-separated list.
//   - every other field with a JSON name: the JSON body, decoded strictly
//     (unknown fields, wrong types and trailing data are errors naming the field).
//
// Path and query fields must be tagged `json:"-"`, so the body cannot set them.
// An input whose pointer has a decodeBody method reads the whole body itself.
type binder struct {
	params []param
	query  []string
	body   reflect.Type // nil when the route reads no body
	hasRaw bool
}

type param struct {
	index []int
	name  string
	path  bool
	def   string
}

// rawBody is an input that parses the request body itself.
type rawBody interface {
	decodeBody(b []byte) error
	// bodyType is the Go type the body is documented as.
	bodyType() reflect.Type
}

func newBinder(t reflect.Type) binder {
	var b binder
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("api: route input %s is not a struct", t))
	}
	hasBody := false
	embedded := map[int]bool{} // top-level embedded structs that hold body fields
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous || !f.IsExported() {
			continue
		}
		path, isPath := f.Tag.Lookup("path")
		query, isQuery := f.Tag.Lookup("query")
		switch {
		case isPath || isQuery:
			if f.Tag.Get("json") != "-" {
				panic(fmt.Sprintf("api: %s.%s is a path or query parameter: tag it json:\"-\"", t, f.Name))
			}
			p := param{index: f.Index, name: path, path: isPath, def: f.Tag.Get("default")}
			if isQuery {
				p.name = query
				b.query = append(b.query, query)
			}
			b.params = append(b.params, p)
		case f.Tag.Get("json") != "-":
			hasBody = true
			embedded[f.Index[0]] = len(f.Index) > 1
		}
	}
	if rb, ok := reflect.New(t).Interface().(rawBody); ok {
		b.hasRaw, b.body = true, rb.bodyType()
	} else if hasBody {
		b.body = t
		// A body that is all one embedded struct is documented as that struct.
		if len(embedded) == 1 {
			for i, nested := range embedded {
				if nested {
					b.body = t.Field(i).Type
				}
			}
		}
	}
	return b
}

// bind fills v (an addressable In) from c.
func (b binder) bind(c *fiber.Ctx, v reflect.Value, optionalBody bool) error {
	for _, p := range b.params {
		f := v.FieldByIndex(p.index)
		var err error
		if p.path {
			err = setPath(f, p.name, c.Params(p.name))
		} else {
			err = setQuery(c, f, p.name, c.Query(p.name, p.def))
		}
		if err != nil {
			return err
		}
	}
	switch {
	case b.hasRaw:
		return v.Addr().Interface().(rawBody).decodeBody(c.Body())
	case b.body == nil, optionalBody && len(c.Body()) == 0:
		return nil
	}
	return decodeJSON(c, v.Addr().Interface())
}

var uuidType = reflect.TypeFor[uuid.UUID]()

func setPath(f reflect.Value, name, s string) error {
	switch {
	case f.Type() == uuidType:
		id, err := inspect.ParsePhotoID(s)
		if err != nil {
			return err
		}
		f.Set(reflect.ValueOf(id))
	case f.Kind() == reflect.Int64:
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return inspect.FieldErrorf(name, "must be a positive whole number")
		}
		f.SetInt(id)
	case f.Kind() == reflect.String:
		f.SetString(strings.Clone(s)) // Fiber reuses the buffer after the handler
	default:
		panic("api: unsupported path parameter type " + f.Type().String())
	}
	return nil
}

func setQuery(c *fiber.Ctx, f reflect.Value, name, s string) error {
	switch f.Kind() {
	case reflect.Int64:
		if s == "" {
			return nil
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return inspect.FieldErrorf(name, "must be a positive whole number")
		}
		f.SetInt(id)
	case reflect.Int:
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return inspect.FieldErrorf(name, "must be a whole number")
		}
		f.SetInt(int64(n))
	case reflect.Float64:
		if s == "" {
			return nil
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return inspect.FieldErrorf(name, "must be a number")
		}
		f.SetFloat(x)
	case reflect.Bool:
		switch s {
		case "", "false", "0":
		case "true", "1":
			f.SetBool(true)
		default:
			return inspect.FieldErrorf(name, "must be true or false")
		}
	case reflect.String:
		f.SetString(strings.Clone(s))
	case reflect.Slice:
		for _, v := range splitQuery(c, name) {
			f.Set(reflect.Append(f, reflect.ValueOf(v).Convert(f.Type().Elem())))
		}
	default:
		panic("api: unsupported query parameter type " + f.Type().String())
	}
	return nil
}

// splitQuery returns the values of a repeated or comma-separated query parameter.
func splitQuery(c *fiber.Ctx, name string) []string {
	var out []string
	for _, raw := range c.Context().QueryArgs().PeekMulti(name) {
		for _, v := range strings.Split(string(raw), ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// decodeJSON decodes the request body strictly into v: unknown fields, wrong types
// and trailing data are invalid-input errors naming the field.
func decodeJSON(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return inspect.Errorf(inspect.EINVALID, "the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return inspect.FieldErrorf(typeErr.Field, "must be a JSON %s", typeErr.Type.Kind())
		case errors.As(err, &syntaxErr):
			return inspect.Errorf(inspect.EINVALID, "the request body is not valid JSON (at byte %d)", syntaxErr.Offset)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return inspect.Errorf(inspect.EINVALID, "the request body is cut short")
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return inspect.FieldErrorf(strings.Trim(name, `"`), "unknown field")
		}
		var appErr *inspect.Error
		if errors.As(err, &appErr) {
			return appErr
		}
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if field := failingField(body, v); field != "" {
			return inspect.FieldErrorf(field, "%s", msg)
		}
		return inspect.Errorf(inspect.EINVALID, "the request body is not a valid JSON object: %s", msg)
	}
	if dec.More() {
		return inspect.Errorf(inspect.EINVALID, "unexpected data after the JSON object")
	}
	return nil
}

// failingField names the top-level field of body that v's type cannot take, for
// the errors encoding/json reports without one (a time that does not parse, a
// value a field's own UnmarshalJSON refuses): each of the type's own JSON fields
// present in body is decoded alone into a fresh value of v's type. Only the
// type's fields are tried, so a body of many keys costs no more than a few
// decodes. "" when none fails alone. Only on the error path.
func failingField(body []byte, v any) string {
	t := reflect.TypeOf(v)
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return ""
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return ""
	}
	for _, name := range jsonNames(t.Elem()) {
		raw, ok := fields[name]
		if !ok {
			continue
		}
		one, err := json.Marshal(map[string]json.RawMessage{name: raw})
		if err != nil {
			continue
		}
		if json.Unmarshal(one, reflect.New(t.Elem()).Interface()) != nil {
			return name
		}
	}
	return ""
}

// jsonNames lists the JSON names of struct type t's fields, in order, those of
// embedded structs without a name of their own included.
func jsonNames(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported() && !f.Anonymous:
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			names = append(names, jsonNames(f.Type)...)
		case name != "":
			names = append(names, name)
		default:
			names = append(names, f.Name)
		}
	}
	return names
}

// queryID reads an optional positive integer query parameter (0 when absent).
func queryID(c *fiber.Ctx, name string) (int64, error) {
	var id int64
	err := setQuery(c, reflect.ValueOf(&id).Elem(), name, c.Query(name))
	return id, err
}
