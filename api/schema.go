package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
)

// The OpenAPI schemas are derived from the Go types the route table names (each
// route's input and answer), by their JSON encoding: a field cannot be added,
// renamed or dropped without the document following. A field tagged
// required:"true" is listed in its schema's required fields.

// schemaNames names the component schemas whose Go name would not read well (or
// would clash); every other named type is its Go name without an Input suffix.
var schemaNames = map[reflect.Type]string{
	reflect.TypeFor[ErrorBody]():                  "Error",
	reflect.TypeFor[LoginRequest]():               "Login",
	reflect.TypeFor[UnitInput]():                  "NewUnit",
	reflect.TypeFor[SiteInput]():                  "SiteInput",
	reflect.TypeFor[inspect.AIFlag]():             "Flag",
	reflect.TypeFor[inspect.ItemDetail]():         "Item",
	reflect.TypeFor[checklists.Item]():            "ChecklistItem",
	reflect.TypeFor[APIKeyInput]():                "NewAPIKeyRequest",
	reflect.TypeFor[PlanInput]():                  "NewPlan",
	reflect.TypeFor[WebhookInput]():               "NewWebhook",
	reflect.TypeFor[VisitRequestInput]():          "NewVisitRequest",
	reflect.TypeFor[AgencyInput]():                "NewAgency",
	reflect.TypeFor[List[inspect.HazardDetail]](): "HazardList",
	// The review queue pages; FlagList is a photo's flags, whole.
	reflect.TypeFor[List[inspect.AIFlag]](): "FlagPage",
}

// schemaAliases are names the document served before its schemas were derived
// from the Go types, kept as references to the schema that took their place so
// that a client naming them still finds them.
var schemaAliases = map[string]reflect.Type{
	"Note": reflect.TypeFor[ReviewInput](), // confirming a flag; now Review
}

// schemaEnums are the string types whose values are a closed set.
var schemaEnums = map[reflect.Type][]string{
	reflect.TypeFor[inspect.Role]():             {string(inspect.RoleInspector), string(inspect.RoleSafetyOfficer), string(inspect.RoleMerchant), string(inspect.RoleAdmin), string(inspect.RoleAgency)},
	reflect.TypeFor[inspect.Level]():            {string(inspect.LevelDistrict), string(inspect.LevelSubdistrict), string(inspect.LevelCommunity), string(inspect.LevelGrid)},
	reflect.TypeFor[inspect.InspectionStatus](): {string(inspect.InspectionAssigned), string(inspect.InspectionInProgress), string(inspect.InspectionSubmitted), string(inspect.InspectionReturned)},
	reflect.TypeFor[inspect.Vote]():             {string(inspect.VoteMajor), string(inspect.VoteGeneral)},
	reflect.TypeFor[inspect.NotificationKind](): {string(inspect.KindHazardNotified), string(inspect.KindDeadlineReminder), string(inspect.KindReinspectionDue),
		string(inspect.KindEscalated), string(inspect.KindDeterminationRequested), string(inspect.KindDeterminationConcluded), string(inspect.KindNotFixed)},
}

// schemaOverrides are the types with their own JSON encoding.
var schemaOverrides = map[reflect.Type]map[string]any{
	reflect.TypeFor[time.Time]():        {"type": "string", "format": "date-time"},
	reflect.TypeFor[uuid.UUID]():        {"type": "string", "format": "uuid"},
	reflect.TypeFor[json.RawMessage]():  {"type": "object", "nullable": true},
	reflect.TypeFor[inspect.Duration](): {"type": "string", "description": "a duration such as \"3d\", \"8h\", \"90m\""},
	reflect.TypeFor[inspect.Rate](): {"type": "object", "properties": map[string]any{
		"num": map[string]any{"type": "integer"}, "den": map[string]any{"type": "integer"}, "value": map[string]any{"type": "number", "nullable": true}}},
}

// schemaSet collects the component schemas a document refers to.
type schemaSet struct {
	defs  map[string]any
	names map[string]reflect.Type
}

func newSchemaSet() *schemaSet {
	return &schemaSet{defs: map[string]any{}, names: map[string]reflect.Type{}}
}

// nameOf returns the component name of t, or "" for a type that is inlined.
func nameOf(t reflect.Type) string {
	if n, ok := schemaNames[t]; ok {
		return n
	}
	if _, ok := schemaOverrides[t]; ok {
		return ""
	}
	switch {
	case t.Kind() == reflect.Struct && strings.HasPrefix(t.Name(), "List["):
		if n := nameOf(t.Field(0).Type.Elem()); n != "" {
			return n + "List"
		}
	case t.Kind() == reflect.Struct && t.Name() != "":
		return strings.TrimSuffix(t.Name(), "Input")
	}
	return ""
}

// ref returns the schema of t: a $ref to its component for named types (added
// to the set on first use), the schema itself for the rest.
func (s *schemaSet) ref(t reflect.Type) map[string]any {
	name := nameOf(t)
	if name == "" {
		return s.inline(t)
	}
	if other, ok := s.names[name]; ok && other != t {
		panic(fmt.Sprintf("api: schema %s names both %s and %s", name, other, t))
	}
	if _, ok := s.names[name]; !ok {
		s.names[name] = t
		s.defs[name] = nil // mark before recursing, for types that refer to themselves
		s.defs[name] = s.inline(t)
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// top returns the schema of a request or answer: like ref, and a slice of a
// named type is a component of its own too (FlagList for []inspect.AIFlag).
func (s *schemaSet) top(t reflect.Type) map[string]any {
	if t.Kind() != reflect.Slice || nameOf(t.Elem()) == "" {
		return s.ref(t)
	}
	name := nameOf(t.Elem()) + "List"
	if other, ok := s.names[name]; ok && other != t {
		panic(fmt.Sprintf("api: schema %s names both %s and %s", name, other, t))
	}
	if _, ok := s.names[name]; !ok {
		s.names[name] = t
		s.defs[name] = s.inline(t)
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

func (s *schemaSet) inline(t reflect.Type) map[string]any {
	if o, ok := schemaOverrides[t]; ok {
		return o
	}
	switch t.Kind() {
	case reflect.Pointer:
		sch := map[string]any{}
		for k, v := range s.inline(t.Elem()) {
			sch[k] = v
		}
		sch["nullable"] = true
		return sch
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		if values, ok := schemaEnums[t]; ok {
			return map[string]any{"type": "string", "enum": values}
		}
		return map[string]any{"type": "string"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		// A nil slice or map is encoded as null.
		return map[string]any{"type": "array", "items": s.ref(t.Elem()), "nullable": true}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": s.ref(t.Elem()), "nullable": true}
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		s.fields(t, props, &required)
		// The JSON of a struct has exactly its fields, and a body with any
		// other is refused (decodeJSON).
		sch := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			sch["required"] = required
		}
		return sch
	case reflect.Interface:
		return map[string]any{}
	}
	panic("api: no schema for " + t.String())
}

// fields adds the JSON fields of struct t to props, the way encoding/json
// encodes them (embedded structs' fields promoted, "-" left out), and the names
// of those tagged required:"true" to required.
func (s *schemaSet) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			if _, own := schemaOverrides[f.Type]; !own {
				s.fields(f.Type, props, required)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = s.ref(f.Type)
		if f.Tag.Get("required") == "true" {
			*required = append(*required, name)
		}
	}
}

// alias adds the component name as a reference to the schema of t.
func (s *schemaSet) alias(name string, t reflect.Type) {
	if _, ok := s.names[name]; ok {
		panic(fmt.Sprintf("api: schema alias %s names a schema of its own", name))
	}
	s.defs[name] = s.ref(t)
	s.names[name] = nil // a type of that name would clash (ref panics)
}
