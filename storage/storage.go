// Package storage holds SafeGrid's adapters to Postgres (pgx) and to S3-compatible
// object storage (minio-go), and the embedded SQL migrations. It implements what
// package inspect declares; SQL and S3 calls live here and nowhere else.
package storage
