// Package inspect is SafeGrid's domain: org units, users and their scopes, sites,
// inspections and their items, hazards and the hazard state machine, deadlines,
// escalation policy and notifications. It imports no HTTP, SQL or S3 package; the
// adapters in storage, api and models implement or call what it declares.
package inspect
