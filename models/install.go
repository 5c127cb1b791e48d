package models

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/safegrid/safegrid/inspect"
)

// errSourceMissing marks a file the model source does not have.
var errSourceMissing = errors.New("not in the model source")

// Install copies the model name (default DefaultModel) from source into
// <cacheDir>/models/<name>/ and returns that folder, ready for Open. source is a folder or
// an http(s) URL that holds the model file and, optionally, its manifest <name>.yaml; the
// built-in manifest is used when it has none. The copy is checked against the manifest's
// SHA-256: a cached copy with the right hash is reused without copying, a source file with
// the wrong hash is an error naming both hashes and nothing is left behind. Files are
// written to a temporary name and renamed into place.
func Install(ctx context.Context, source, name, cacheDir string) (string, error) {
	if name == "" {
		name = DefaultModel
	}
	if source == "" {
		return "", inspect.Errorf(inspect.EINVALID, "no model source given (set SAFEGRID_MODEL_SOURCE to a folder or http(s) URL holding %s); AI checks stay off without one", name)
	}
	if cacheDir == "" {
		return "", inspect.Errorf(inspect.EINVALID, "no cache folder given for the model")
	}
	if strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return "", inspect.FieldErrorf("name", "must be a plain model name, got %q", name)
	}

	manifestData, err := readSource(ctx, source, name+".yaml")
	if errors.Is(err, errSourceMissing) {
		manifestData, err = embeddedManifests.ReadFile(path.Join("manifests", name+".yaml"))
		if err != nil {
			return "", inspect.Errorf(inspect.ENOTFOUND, "model source %s has no manifest %s.yaml and there is no built-in manifest %q (known: %s)", source, name, name, strings.Join(EmbeddedManifestNames(), ", "))
		}
	} else if err != nil {
		return "", fmt.Errorf("install model %s: %w", name, err)
	}
	m, err := ParseManifest(manifestData)
	if err != nil {
		return "", fmt.Errorf("install model %s: manifest: %w", name, err)
	}
	if m.Name != name {
		return "", inspect.Errorf(inspect.EINVALID, "install model %s: its manifest is for %q", name, m.Name)
	}

	dir := filepath.Join(cacheDir, "models", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("install model %s: %w", name, err)
	}
	target := filepath.Join(dir, m.File)
	if sum, err := fileSHA256(target); err != nil || sum != m.SHA256 {
		if err := copyVerified(ctx, source, m, target); err != nil {
			return "", fmt.Errorf("install model %s: %w", name, err)
		}
	}
	manifestPath := filepath.Join(dir, ManifestFile)
	if old, err := os.ReadFile(manifestPath); err != nil || !bytes.Equal(old, manifestData) {
		if err := writeAtomic(manifestPath, manifestData); err != nil {
			return "", fmt.Errorf("install model %s: %w", name, err)
		}
	}
	return dir, nil
}

// copyVerified streams the model file from source to target through a temporary file,
// hashing on the way, and renames it into place only when the hash matches.
func copyVerified(ctx context.Context, source string, m Manifest, target string) error {
	src, err := openSource(ctx, source, m.File)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+m.File+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, src}); err != nil {
		tmp.Close()
		return fmt.Errorf("copy %s from %s: %w", m.File, source, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != m.SHA256 {
		return inspect.Errorf(inspect.EINVALID, "%s from %s has SHA-256 %s, but the manifest expects %s; not installed", m.File, source, sum, m.SHA256)
	}
	return os.Rename(tmp.Name(), target)
}

// readSource reads a small file (a manifest) from the source.
func readSource(ctx context.Context, source, file string) ([]byte, error) {
	r, err := openSource(ctx, source, file)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, 1<<20))
}

// openSource opens file in a source folder or under a source URL. A missing file is
// errSourceMissing.
func openSource(ctx context.Context, source, file string) (io.ReadCloser, error) {
	if !strings.HasPrefix(source, "http://") && !strings.HasPrefix(source, "https://") {
		f, err := os.Open(filepath.Join(source, file))
		if errors.Is(err, fs.ErrNotExist) {
			if st, serr := os.Stat(source); serr != nil || !st.IsDir() {
				return nil, inspect.Errorf(inspect.ENOTFOUND, "model source folder %s does not exist", source)
			}
			return nil, fmt.Errorf("%s in %s: %w", file, source, errSourceMissing)
		}
		return f, err
	}
	url := strings.TrimSuffix(source, "/") + "/" + file
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, inspect.Errorf(inspect.EINVALID, "model source URL %q is not valid: %s", source, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		resp.Body.Close()
		return nil, fmt.Errorf("%s: %w", url, errSourceMissing)
	case resp.StatusCode != http.StatusOK:
		resp.Body.Close()
		return nil, inspect.Errorf(inspect.EUNAVAILABLE, "fetch %s: HTTP %s", url, resp.Status)
	}
	return resp.Body, nil
}

// writeAtomic writes data to a temporary file beside path and renames it into place.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ctxReader stops a long copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
