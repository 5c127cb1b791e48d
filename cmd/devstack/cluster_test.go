package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nginxOrSkip returns the nginx binary; without one (it is installed by make
// cluster) the configuration cannot be checked and the test says so.
func nginxOrSkip(t *testing.T) string {
	for _, p := range []string{"nginx", "/usr/sbin/nginx"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Skip("nginx is not installed (apt-get install nginx, or run make cluster once): configuration not checked")
	return ""
}

func nginxTest(t *testing.T, bin, conf, prefix string) {
	t.Helper()
	out, err := exec.Command(bin, "-t", "-e", "stderr", "-c", conf, "-p", prefix).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "test is successful") {
		t.Fatalf("nginx -t %s: %v\n%s", conf, err, out)
	}
}

func TestClusterNginxConfig(t *testing.T) {
	bin := nginxOrSkip(t)
	c := &cluster{st: &stack{workDir: t.TempDir()}, lbPort: 18080, s3Port: 18090}
	for i, port := range []int{18081, 18082, 18083} {
		c.replicas = append(c.replicas, &proc{name: "replica", port: port, ready: i != 1})
	}
	for _, port := range []int{19100, 19101, 19102, 19103} {
		c.minio = append(c.minio, &proc{name: "minio", port: port})
	}
	conf, err := c.writeNginxConf()
	if err != nil {
		t.Fatal(err)
	}
	nginxTest(t, bin, conf, c.st.workDir)
	up, err := os.ReadFile(filepath.Join(c.st.workDir, "nginx-upstreams.conf"))
	if err != nil {
		t.Fatal(err)
	}
	// The replica failing /readyz is out; MinIO nodes, none ready, all stay in.
	if !strings.Contains(string(up), "server 127.0.0.1:18082 max_fails=1 fail_timeout=2s down;") ||
		strings.Contains(string(up), "18081 max_fails=1 fail_timeout=2s down") || strings.Contains(string(up), "19100 max_fails=1 fail_timeout=2s down") {
		t.Errorf("upstreams:\n%s", up)
	}
}

// TestDeployNginxSite checks deploy/nginx/safegrid.conf with nginx -t, inside a
// minimal nginx.conf and with a throwaway certificate in place of the real one.
func TestDeployNginxSite(t *testing.T) {
	bin := nginxOrSkip(t)
	dir := t.TempDir()
	site, err := os.ReadFile("../../deploy/nginx/safegrid.conf")
	if err != nil {
		t.Fatal(err)
	}
	cert, key := selfSignedCert(t, dir)
	s := strings.ReplaceAll(string(site), "/etc/ssl/certs/safegrid.example.org.pem", cert)
	s = strings.ReplaceAll(s, "/etc/ssl/private/safegrid.example.org.key", key)
	if err := os.WriteFile(filepath.Join(dir, "site.conf"), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "nginx.conf")
	main := "pid " + dir + "/nginx.pid;\nevents {}\nhttp {\n client_body_temp_path " + dir + "/body;\n proxy_temp_path " + dir + "/proxy;\n" +
		" fastcgi_temp_path " + dir + "/fcgi;\n uwsgi_temp_path " + dir + "/uwsgi;\n scgi_temp_path " + dir + "/scgi;\n access_log off;\n include " + dir + "/site.conf;\n}\n"
	if err := os.WriteFile(conf, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	nginxTest(t, bin, conf, dir)
}

func selfSignedCert(t *testing.T, dir string) (string, string) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "safegrid.example.org"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"safegrid.example.org"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return cert, key
}
