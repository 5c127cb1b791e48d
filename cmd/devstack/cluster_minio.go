package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// minioNodes is the number of MinIO server processes: the smallest erasure set
// (EC:2 — two data and two parity shards), which keeps reads with two nodes down
// and writes with one.
const minioNodes = 4

// startMinIO starts one distributed MinIO deployment of minioNodes server
// processes on consecutive loopback ports, each with its own drive folder.
func (c *cluster) startMinIO(ctx context.Context, accessKey, secretKey string) error {
	bin, err := c.st.minioBinary(ctx)
	if err != nil {
		return err
	}
	base, err := consecutivePorts(minioNodes)
	if err != nil {
		return err
	}
	var endpoints []string
	for i := range minioNodes {
		drive := filepath.Join(c.st.workDir, fmt.Sprintf("minio%d", i+1), "drive")
		if err := os.MkdirAll(drive, 0o755); err != nil {
			return err
		}
		endpoints = append(endpoints, fmt.Sprintf("http://127.0.0.1:%d%s", base+i, drive))
	}
	env := append(os.Environ(), "MINIO_ROOT_USER="+accessKey, "MINIO_ROOT_PASSWORD="+secretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=1")
	for i := range minioNodes {
		port := base + i
		// In a container MinIO will not take loopback addresses as its own unless
		// told which endpoint is local (harmless elsewhere).
		nodeEnv := append(slices.Clone(env), fmt.Sprintf("_MINIO_SERVER_LOCAL=127.0.0.1:%d", port))
		p := &proc{
			name: fmt.Sprintf("minio-%d", i+1), port: port, env: nodeEnv,
			log:  filepath.Join(c.st.workDir, fmt.Sprintf("minio-%d.log", i+1)),
			args: append([]string{bin, "server", "--quiet", "--address", fmt.Sprintf("127.0.0.1:%d", port)}, endpoints...),
		}
		c.minio = append(c.minio, p)
		if err := c.launch(p); err != nil {
			return err
		}
	}
	c.st.onStop(func() {
		logf("cluster: stopping MinIO nodes")
		for _, p := range c.minio {
			c.stop(p, 10*time.Second)
		}
	})
	logf("cluster: MinIO erasure-coded over %d nodes on 127.0.0.1:%d-%d", minioNodes, base, base+minioNodes-1)
	return waitFor(ctx, "minio cluster", 120*time.Second, httpOK(fmt.Sprintf("http://127.0.0.1:%d/minio/health/cluster", base)))
}

// consecutivePorts finds n free consecutive loopback ports and returns the first.
func consecutivePorts(n int) (int, error) {
	for base := 19100; base < 30000; base += n {
		free := true
		for p := base; p < base+n && free; p++ {
			free = !listening(fmt.Sprintf("127.0.0.1:%d", p))
		}
		if free {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no %d consecutive free ports", n)
}
