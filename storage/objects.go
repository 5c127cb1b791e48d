package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/safegrid/safegrid/inspect"
)

// ObjectStoreConfig says where the object store is and which bucket to use.
type ObjectStoreConfig struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Bucket    string
	UseTLS    bool
	Region    string
}

// ObjectStore is the S3/MinIO adapter: one bucket of photos, thumbnails and
// annotated copies.
type ObjectStore struct {
	client *minio.Client
	bucket string
	region string
	// quorumLostAt is when Health last found the store without its write
	// quorum (unix nanoseconds; 0 when the last check passed): writes fail
	// fast meanwhile instead of waiting out the store's own timeouts.
	quorumLostAt atomic.Int64
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key         string
	Size        int64
	ContentType string
	ETag        string
}

// NewObjectStore returns an adapter for cfg. It does not contact the server; call
// EnsureBucket or Ping for that.
func NewObjectStore(cfg ObjectStoreConfig) (*ObjectStore, error) {
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:     cfg.UseTLS,
		Region:     cfg.Region,
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("object store client for %s: %w", cfg.Endpoint, err)
	}
	return &ObjectStore{client: client, bucket: cfg.Bucket, region: cfg.Region}, nil
}

// Bucket returns the bucket name this store writes to.
func (s *ObjectStore) Bucket() string { return s.bucket }

// EnsureBucket creates the bucket if it does not exist yet.
func (s *ObjectStore) EnsureBucket(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("check bucket %s: %w", s.bucket, err)
	}
	if ok {
		return nil
	}
	if err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: s.region}); err != nil {
		if resp := minio.ToErrorResponse(err); resp.Code == "BucketAlreadyOwnedByYou" {
			return nil
		}
		return fmt.Errorf("create bucket %s: %w", s.bucket, err)
	}
	return nil
}

// Ping reports whether the bucket is reachable within ctx.
func (s *ObjectStore) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("reach bucket %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("bucket %s does not exist", s.bucket)
	}
	return nil
}

// Put streams r into the object key and returns the SHA-256 (hex) of what was
// stored, computed while streaming. size may be -1 when unknown.
func (s *ObjectStore) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (string, error) {
	if err := s.writable(key); err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := s.client.PutObject(ctx, s.bucket, key, io.TeeReader(r, h), size, minio.PutObjectOptions{
		ContentType: contentType,
	}); err != nil {
		return "", writeError(err, key)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// PutIfAbsent is Put unless the object key exists already, which the object store
// decides in the same request (a conditional write, If-None-Match: *) rather than
// in a Stat round trip before it: then nothing is written and created is false.
func (s *ObjectStore) PutIfAbsent(ctx context.Context, key string, r io.Reader, size int64, contentType string) (sum string, created bool, err error) {
	if err := s.writable(key); err != nil {
		return "", false, err
	}
	h := sha256.New()
	opts := minio.PutObjectOptions{ContentType: contentType}
	opts.SetMatchETagExcept("*")
	if _, err := s.client.PutObject(ctx, s.bucket, key, io.TeeReader(r, h), size, opts); err != nil {
		if minio.ToErrorResponse(err).StatusCode == http.StatusPreconditionFailed {
			return "", false, nil
		}
		return "", false, writeError(err, key)
	}
	return hex.EncodeToString(h.Sum(nil)), true, nil
}

// Get opens the object key for reading. A missing object is a not_found error.
func (s *ObjectStore) Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, ObjectInfo{}, s.mapErr(err, key)
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, ObjectInfo{}, s.mapErr(err, key)
	}
	return obj, toObjectInfo(st), nil
}

// Stat returns what is known about the object key without reading it.
func (s *ObjectStore) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	st, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return ObjectInfo{}, s.mapErr(err, key)
	}
	return toObjectInfo(st), nil
}

// Delete removes the object key; deleting a missing object is not an error.
func (s *ObjectStore) Delete(ctx context.Context, key string) error {
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("delete object %s: %w", key, err)
	}
	return nil
}

// PresignedGet returns a URL that lets its holder read the object key for ttl.
func (s *ObjectStore) PresignedGet(ctx context.Context, key string, ttl time.Duration) (*url.URL, error) {
	u, err := s.client.PresignedGetObject(ctx, s.bucket, key, ttl, nil)
	if err != nil {
		return nil, fmt.Errorf("presign object %s: %w", key, err)
	}
	return u, nil
}

// Keys lists every object key under prefix.
func (s *ObjectStore) Keys(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, fmt.Errorf("list objects under %q: %w", prefix, obj.Err)
		}
		keys = append(keys, obj.Key)
	}
	return keys, nil
}

// RemoveBucket deletes every object and then the bucket itself (used by tests).
func (s *ObjectStore) RemoveBucket(ctx context.Context) error {
	keys, err := s.Keys(ctx, "")
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := s.Delete(ctx, k); err != nil {
			return err
		}
	}
	if err := s.client.RemoveBucket(ctx, s.bucket); err != nil {
		return fmt.Errorf("remove bucket %s: %w", s.bucket, err)
	}
	return nil
}

func (s *ObjectStore) mapErr(err error, key string) error {
	resp := minio.ToErrorResponse(err)
	if resp.Code == "NoSuchKey" || resp.StatusCode == 404 {
		return inspect.Errorf(inspect.ENOTFOUND, "object %s not found", key)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("object store unreachable for %s: %w", key, err)
	}
	return fmt.Errorf("object %s: %w", key, err)
}

func toObjectInfo(st minio.ObjectInfo) ObjectInfo {
	return ObjectInfo{Key: st.Key, Size: st.Size, ContentType: st.ContentType, ETag: st.ETag}
}

// WaitForBucket creates the bucket, retrying for a while: in development the object
// store may still be starting.
func (s *ObjectStore) WaitForBucket(ctx context.Context, log *slog.Logger) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := s.EnsureBucket(attemptCtx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("object store (SAFEGRID_S3_ENDPOINT): %w", err)
		}
		log.Warn("object store not ready, retrying", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
