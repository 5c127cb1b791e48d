package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

const minioModule = "github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

// ensureMinIO returns the SAFEGRID_S3_* environment: the given endpoint, or a MinIO
// server built once into the cache and started on loopback with its own data folder.
func (st *stack) ensureMinIO(ctx context.Context) ([]string, error) {
	if ep := os.Getenv("SAFEGRID_S3_ENDPOINT"); ep != "" {
		logf("minio: using SAFEGRID_S3_ENDPOINT=%s", ep)
		return nil, nil
	}
	bin, err := st.minioBinary(ctx)
	if err != nil {
		return nil, err
	}
	// SAFEGRID_MINIO_BIN lets tests start and stop a MinIO of their own.
	accessKey := envOr("SAFEGRID_S3_ACCESS_KEY", "safegrid")
	secretKey := envOr("SAFEGRID_S3_SECRET_KEY", "safegrid-dev-secret")
	preferred := 9000
	if st.ephemeral {
		preferred = 0
	}
	data := filepath.Join(st.workDir, "minio")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	port, err := freePort(preferred)
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logPath := filepath.Join(st.workDir, "minio.log")
	lf, err := logFile(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "server", "--quiet", "--address", addr, data)
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+accessKey, "MINIO_ROOT_PASSWORD="+secretKey, "MINIO_BROWSER=off", "MINIO_UPDATE=off")
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := startService(cmd); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	st.onStop(func() {
		logf("minio: stopping")
		stopService(cmd, 10*time.Second)
		lf.Close()
	})
	logf("minio: starting on %s (data %s, log %s)", addr, data, logPath)
	err = waitFor(ctx, "minio", 60*time.Second, httpOK("http://"+addr+"/minio/health/ready"))
	if err != nil {
		return nil, fmt.Errorf("%w (see %s)", err, logPath)
	}
	return []string{"SAFEGRID_MINIO_BIN=" + bin, "SAFEGRID_S3_ENDPOINT=" + addr, "SAFEGRID_S3_ACCESS_KEY=" + accessKey, "SAFEGRID_S3_SECRET_KEY=" + secretKey}, nil
}

// minioBinary returns the cached MinIO server, building it once with go install.
func (st *stack) minioBinary(ctx context.Context) (string, error) {
	dir := filepath.Join(st.cacheDir, "minio")
	bin := filepath.Join(dir, "minio")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	logf("minio: building %s once into %s (takes about 5 minutes the first time) ...", minioModule, dir)
	// A folder of our own: several devstacks may build at once; the first rename wins.
	tmp, err := os.MkdirTemp(st.cacheDir, "minio-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, "go", "install", minioModule)
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go install %s: %w", minioModule, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(tmp, "minio"), bin); err != nil {
		return "", fmt.Errorf("place minio binary: %w", err)
	}
	logf("minio: built in %s", time.Since(start).Round(time.Second))
	return bin, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
