package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const (
	ortVersion   = "1.24.1"
	ortNpmMember = "package/bin/napi-v6/linux/x64/libonnxruntime.so.1"
)

// ensureORT returns SAFEGRID_ORT_LIB: the given one, or libonnxruntime.so.1 taken once
// from the npm package onnxruntime-node into the cache.
func (st *stack) ensureORT(ctx context.Context) ([]string, error) {
	if lib := os.Getenv("SAFEGRID_ORT_LIB"); lib != "" {
		if _, err := os.Stat(lib); err != nil {
			return nil, fmt.Errorf("SAFEGRID_ORT_LIB=%s: %w", lib, err)
		}
		logf("onnx runtime: using SAFEGRID_ORT_LIB=%s", lib)
		return nil, nil
	}
	dir := filepath.Join(st.cacheDir, "onnxruntime-"+ortVersion)
	lib := filepath.Join(dir, "libonnxruntime.so.1")
	if _, err := os.Stat(lib); err == nil {
		logf("onnx runtime: cached %s", lib)
		return []string{"SAFEGRID_ORT_LIB=" + lib}, nil
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return nil, errors.New("npm is needed once to fetch onnxruntime-node@" + ortVersion + " (apt-get install npm), or set SAFEGRID_ORT_LIB")
	}
	logf("onnx runtime: fetching onnxruntime-node@%s with npm pack (once) ...", ortVersion)
	tmp, err := os.MkdirTemp("", "safegrid-ort-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, "npm", "pack", "--silent", "onnxruntime-node@"+ortVersion)
	cmd.Dir = tmp
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("npm pack onnxruntime-node@%s: %w", ortVersion, err)
	}
	tgz := filepath.Join(tmp, lastLine(string(out)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := extractMember(tgz, ortNpmMember, lib); err != nil {
		return nil, err
	}
	logf("onnx runtime: installed %s", lib)
	return []string{"SAFEGRID_ORT_LIB=" + lib}, nil
}

// extractMember copies one file out of a .tgz to dst, atomically.
func extractMember(tgz, member, dst string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", tgz, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return fmt.Errorf("%s has no %s", filepath.Base(tgz), member)
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", tgz, err)
		}
		if h.Name != member {
			continue
		}
		tmp := dst + ".part"
		out, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, tr); err != nil {
			out.Close()
			return fmt.Errorf("extract %s: %w", member, err)
		}
		if err := out.Close(); err != nil {
			return err
		}
		return os.Rename(tmp, dst)
	}
}

// lastLine returns the last non-empty line of s (npm pack prints the file name last).
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
