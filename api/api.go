// Package api is SafeGrid's HTTP adapter on Fiber v2: the JSON API under /api/v1,
// health and readiness probes, the embedded web app and the OpenAPI document. It
// translates HTTP to calls on the domain and maps application errors to statuses in
// one table.
package api
