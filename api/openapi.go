package api

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/safegrid/safegrid/inspect"
)

// OpenAPI is the JSON shape of the OpenAPI 3 document: enough structure for the
// route test to walk it, free-form where the spec is.
type OpenAPI struct {
	OpenAPI    string                                 `json:"openapi"`
	Info       map[string]any                         `json:"info"`
	Paths      map[string]map[string]OpenAPIOperation `json:"paths"`
	Components map[string]any                         `json:"components"`
	Security   []map[string][]string                  `json:"security,omitempty"`
}

// OpenAPIOperation is one method of one path.
type OpenAPIOperation struct {
	Summary     string                    `json:"summary"`
	Description string                    `json:"description,omitempty"`
	OperationID string                    `json:"operationId"`
	Parameters  []map[string]any          `json:"parameters,omitempty"`
	RequestBody map[string]any            `json:"requestBody,omitempty"`
	Responses   map[string]map[string]any `json:"responses"`
	Security    []map[string][]string     `json:"security"`
}

var pathParam = regexp.MustCompile(`:([a-z_]+)`)

// OpenAPIPathOf turns a Fiber path (/sites/:id) into an OpenAPI path (/sites/{id}).
func OpenAPIPathOf(fiberPath string) string { return pathParam.ReplaceAllString(fiberPath, "{$1}") }

// openAPIDocument builds the document from the route table, so that a route cannot
// be registered without being documented.
func openAPIDocument(routes []Route) OpenAPI {
	schemas := newSchemaSet()
	errorRef := schemas.ref(reflect.TypeFor[ErrorBody]())
	// Schemas no route names as a whole, kept for the clients that use them.
	schemas.ref(reflect.TypeFor[inspect.Hazard]())
	schemas.ref(reflect.TypeFor[inspect.Supervision]())
	for name, t := range schemaAliases {
		schemas.alias(name, t)
	}
	jsonResponse := func(desc string, schema map[string]any) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
	}
	doc := OpenAPI{
		OpenAPI: "3.0.3",
		Info: map[string]any{
			"title":   "SafeGrid API",
			"version": "1",
			"description": "Hazard inspection: sites, inspections, photo evidence and hazards. " +
				"Log in with POST /api/v1/auth/login and send the token as a Bearer header (or use the HttpOnly cookie). " +
				"Errors are {\"error\": code, \"message\", \"field\", \"request_id\"}. A thing the caller may not see answers 404 " +
				"(so that ids cannot be probed); a route outside the caller's role, or a visible thing the caller may not change, answers 403.",
		},
		Paths:      map[string]map[string]OpenAPIOperation{},
		Components: map[string]any{"schemas": schemas.defs, "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}, "cookie": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie}}},
	}
	for _, r := range routes {
		path := OpenAPIPathOf(r.Path)
		op := OpenAPIOperation{
			Summary:     r.Summary,
			OperationID: strings.ToLower(r.Method) + strings.NewReplacer("/api/v1", "", "/", "_", ":", "").Replace(r.Path),
			Responses:   map[string]map[string]any{},
			Security:    []map[string][]string{},
		}
		if r.Roles != nil {
			op.Security = []map[string][]string{{"bearer": {}}, {"cookie": {}}}
			names := make([]string, len(r.Roles))
			for i, role := range r.Roles {
				names[i] = string(role)
			}
			op.Description = "Roles: " + strings.Join(names, ", ") + "."
		}
		for _, m := range pathParam.FindAllStringSubmatch(r.Path, -1) {
			typ := "integer"
			if m[1] == "uuid" || m[1] == "code" || m[1] == "action" {
				typ = "string"
			}
			op.Parameters = append(op.Parameters, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": typ}})
		}
		for _, q := range r.Query {
			op.Parameters = append(op.Parameters, map[string]any{"name": q, "in": "query", "required": false, "schema": map[string]any{"type": "string"}})
		}
		switch {
		case r.Upload:
			op.RequestBody = map[string]any{"required": true, "content": map[string]any{
				"image/jpeg": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
				"image/png":  map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
				"image/webp": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
			}}
			op.Responses["201"] = jsonResponse("stored", schemas.top(r.out))
			op.Responses["200"] = jsonResponse("the same UUID and bytes again: the stored photo", schemas.top(r.out))
			op.Responses["409"] = jsonResponse("the UUID was used for other bytes", errorRef)
			op.Responses["413"] = jsonResponse("over the byte or pixel limits", errorRef)
			op.Responses["415"] = jsonResponse("not JPEG, PNG or WebP; the message says what it looks like", errorRef)
		case r.in != nil:
			op.RequestBody = map[string]any{"required": !r.optionalBody, "content": map[string]any{"application/json": map[string]any{"schema": schemas.top(r.in)}}}
		}
		ok := "200"
		if r.Status != 0 {
			ok = strconv.Itoa(r.Status)
		}
		if !r.Upload {
			switch r.out {
			case reflect.TypeFor[NoContent]():
				op.Responses["204"] = map[string]any{"description": "done"}
			case reflect.TypeFor[Download]():
				op.Responses[ok] = map[string]any{"description": "the file, as an attachment", "content": map[string]any{
					csvType: map[string]any{"schema": map[string]any{"type": "string"}}, xlsxType: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
			case reflect.TypeFor[Stream]():
				op.Responses[ok] = map[string]any{"description": "the image", "content": map[string]any{"image/*": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
			default:
				op.Responses[ok] = jsonResponse("ok", schemas.top(r.out))
			}
		}
		op.Responses["400"] = jsonResponse("invalid input; field names it", errorRef)
		switch {
		case r.Roles != nil:
			op.Responses["401"] = jsonResponse("not logged in or the session ended", errorRef)
			op.Responses["403"] = jsonResponse("outside the caller's role, or a visible thing the caller may not change", errorRef)
			op.Responses["404"] = jsonResponse("no such thing, or not visible to the caller", errorRef)
		case r.in != nil: // logging in
			op.Responses["401"] = jsonResponse("wrong username, phone or password", errorRef)
			op.Responses["429"] = jsonResponse("too many failed attempts for the account, from the address, or for many accounts from the address; Retry-After says when to try again", errorRef)
			op.Responses["503"] = jsonResponse("too many people are logging in at this moment; Retry-After says when to try again", errorRef)
		}
		if doc.Paths[path] == nil {
			doc.Paths[path] = map[string]OpenAPIOperation{}
		}
		doc.Paths[path][strings.ToLower(r.Method)] = op
	}
	doc.Paths[OpenAPIPath] = map[string]OpenAPIOperation{"get": {
		Summary: "This document", OperationID: "get_openapi", Security: []map[string][]string{},
		Responses: map[string]map[string]any{"200": {"description": "the OpenAPI 3 document"}},
	}}
	return doc
}
