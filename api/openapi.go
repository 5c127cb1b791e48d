package api

import (
	"maps"
	"regexp"
	"strings"
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

func ref(name string) map[string]any {
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// openAPIDocument builds the document from the route table, so that a route cannot
// be registered without being documented.
func openAPIDocument(routes []Route) OpenAPI {
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
		Components: map[string]any{"schemas": schemas(), "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}, "cookie": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie}}},
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
			op.Responses["201"] = jsonResponse("stored", r.Response)
			op.Responses["200"] = jsonResponse("the same UUID and bytes again: the stored photo", r.Response)
			op.Responses["409"] = jsonResponse("the UUID was used for other bytes", "Error")
			op.Responses["413"] = jsonResponse("over the byte or pixel limits", "Error")
			op.Responses["415"] = jsonResponse("not JPEG, PNG or WebP; the message says what it looks like", "Error")
		case r.Request != "":
			op.RequestBody = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(r.Request)}}}
		}
		ok := "200"
		if r.Method == "POST" && (r.Path == "/api/v1/sites" || r.Path == "/api/v1/units" || r.Path == "/api/v1/users" || r.Path == "/api/v1/inspections") {
			ok = "201"
		}
		if !r.Upload {
			switch r.Response {
			case "":
				op.Responses["204"] = map[string]any{"description": "done"}
			case "binary":
				op.Responses[ok] = map[string]any{"description": "the image", "content": map[string]any{"image/*": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
			default:
				op.Responses[ok] = jsonResponse("ok", r.Response)
			}
		}
		op.Responses["400"] = jsonResponse("invalid input; field names it", "Error")
		if r.Roles != nil {
			op.Responses["401"] = jsonResponse("not logged in or the session ended", "Error")
			op.Responses["403"] = jsonResponse("outside the caller's role, or a visible thing the caller may not change", "Error")
			op.Responses["404"] = jsonResponse("no such thing, or not visible to the caller", "Error")
		} else {
			op.Responses["401"] = jsonResponse("wrong username, phone or password", "Error")
			op.Responses["429"] = jsonResponse("too many attempts; Retry-After says when to try again", "Error")
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

func jsonResponse(desc, schema string) map[string]any {
	return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": ref(schema)}}}
}

func obj(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func list(item string) map[string]any {
	return obj(map[string]any{"items": map[string]any{"type": "array", "items": ref(item)}}, "items")
}

var (
	str     = map[string]any{"type": "string"}
	integer = map[string]any{"type": "integer"}
	number  = map[string]any{"type": "number"}
	boolean = map[string]any{"type": "boolean"}
	dt      = map[string]any{"type": "string", "format": "date-time"}
	anyObj  = map[string]any{"type": "object"}
	ints    = map[string]any{"type": "array", "items": integer}
	strs    = map[string]any{"type": "array", "items": str}
)

func schemas() map[string]any {
	m := map[string]any{
		"Error":       obj(map[string]any{"error": str, "message": str, "field": str, "request_id": str}, "error", "message"),
		"Login":       obj(map[string]any{"login": str, "password": str}, "login", "password"),
		"LoginResult": obj(map[string]any{"token": str, "expires_at": dt, "user": ref("User")}),
		"User":        obj(map[string]any{"id": integer, "username": str, "phone": str, "display_name": str, "role": map[string]any{"type": "string", "enum": []string{"inspector", "safety_officer", "merchant", "admin"}}, "unit_id": integer, "grid_ids": ints, "created_at": dt}),
		"UserList":    list("User"),
		"NewUser":     obj(map[string]any{"username": str, "phone": str, "display_name": str, "role": str, "unit_id": integer, "grid_ids": ints, "password": str}, "username", "phone", "display_name", "role", "password"),
		"Unit":        obj(map[string]any{"id": integer, "parent_id": integer, "level": map[string]any{"type": "string", "enum": []string{"district", "subdistrict", "community", "grid"}}, "name": str, "code": str}, "level", "name"),
		"UnitList":    list("Unit"),
		"Site":        obj(map[string]any{"id": integer, "name": str, "type": str, "address": str, "lat": number, "lng": number, "grid_id": integer, "profile": anyObj, "merchant_ids": ints, "created_at": dt, "updated_at": dt}, "name", "type", "address", "lat", "lng", "grid_id", "profile"),
		"SiteList":    list("Site"),
		"Assignment":  obj(map[string]any{"site_id": integer, "inspector_id": integer, "due": dt}, "site_id", "inspector_id", "due"),
		"Inspection": obj(map[string]any{"id": integer, "site_id": integer, "inspector_id": integer, "assigned_by": integer, "due": dt,
			"status": map[string]any{"type": "string", "enum": []string{"assigned", "in_progress", "submitted", "returned"}}, "rule_version": str, "checklist": anyObj,
			"return_reason": str, "returns": integer, "created_at": dt, "started_at": dt, "submitted_at": dt}),
		"InspectionList":   list("Inspection"),
		"InspectionDetail": map[string]any{"allOf": []any{ref("Inspection"), obj(map[string]any{"site": ref("Site"), "items": map[string]any{"type": "array", "items": ref("Item")}})}},
		"Item": obj(map[string]any{"inspection_id": integer, "code": str, "answer": str, "note": str, "needs_photo": boolean, "photo_count": integer, "outcome": str,
			"severity": str, "deadline": dt, "position": integer, "location": str, "ai_checks": strs, "rule_severity": str, "rectify_days": integer, "hazard_id": integer, "rule": anyObj}),
		"Answer":       obj(map[string]any{"answer": map[string]any{"type": "string", "enum": []string{"pass", "fail", "na"}}, "note": str, "outcome": map[string]any{"type": "string", "enum": []string{"fixed_on_spot", "hazard"}}, "severity": map[string]any{"type": "string", "enum": []string{"general", "possibly_major"}}, "deadline": dt}, "answer"),
		"Reason":       obj(map[string]any{"reason": str}, "reason"),
		"Reassign":     obj(map[string]any{"inspector_id": integer, "note": str}, "inspector_id"),
		"Photo":        obj(map[string]any{"id": str, "inspection_id": integer, "item_code": str, "hazard_id": integer, "sha256": str, "type": str, "size": integer, "width": integer, "height": integer, "exif": anyObj, "uploaded_by": integer, "uploaded_at": dt}),
		"Hazard":       obj(map[string]any{"id": integer, "site_id": integer, "grid_id": integer, "rule_code": str, "rule_version": str, "inspection_id": integer, "state": str, "severity": str, "level": str, "unit_id": integer, "inspector_id": integer, "note": str, "observations": integer, "escalations": integer, "returns": integer, "deadline": dt, "rating": integer, "created_at": dt, "closed_at": dt}),
		"HazardDetail": map[string]any{"allOf": []any{ref("Hazard"), obj(map[string]any{"rule": anyObj, "site_name": str, "site_address": str, "events": map[string]any{"type": "array", "items": ref("Event")}, "photo_ids": strs})}},
		"HazardList":   list("HazardDetail"),
		"Event":        obj(map[string]any{"hazard_id": integer, "seq": integer, "actor": integer, "at": dt, "kind": str, "payload": anyObj, "prev_hash": str, "hash": str}),
		"HazardAction": obj(map[string]any{"note": str, "photo_ids": strs}),
		"Rating":       obj(map[string]any{"rating": map[string]any{"type": "integer", "minimum": 1, "maximum": 5}}, "rating"),
		"MerchantHazard": obj(map[string]any{"id": integer, "site_id": integer, "site_name": str, "site_address": str, "rule_code": str, "state": str, "severity": str,
			"title": str, "explanation": str, "legal_basis": strs, "deadline": dt, "seconds_left": integer, "overdue": boolean, "proof_needed": str,
			"can_submit_proof": boolean, "can_rate": boolean, "rating": integer}),
		"MerchantHazardList": list("MerchantHazard"),
	}
	maps.Copy(m, deadlineSchemas())
	return m
}
