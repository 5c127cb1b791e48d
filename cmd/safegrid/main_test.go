package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/safegrid/safegrid/storage/config"
)

// runCmd runs the binary's main logic with args and the given environment.
func runCmd(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	re := &runEnv{stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] }}
	code = runMain(context.Background(), re, args)
	return code, out.String(), errOut.String()
}

func TestUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"no command", nil, "usage: safegrid COMMAND"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown two-word command", []string{"rules", "explode"}, `unknown command "rules explode"`},
		{"unknown flag", []string{"version", "--bogus"}, "flag provided but not defined: -bogus"},
		{"unknown flag on serve", []string{"serve", "--port=1"}, "usage: safegrid serve"},
		{"stray argument", []string{"migrate", "now"}, `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, nil, tt.args...)
			if code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.wantStderr)
			}
		})
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	t.Parallel()
	code, stdout, _ := runCmd(t, nil, "help")
	if code != 0 {
		t.Fatalf("help exit code %d", code)
	}
	for _, c := range commands() {
		line := "  " + c.name + " "
		if !strings.Contains(stdout, line) || !strings.Contains(stdout, c.summary) {
			t.Errorf("help does not list %q with its summary:\n%s", c.name, stdout)
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	code, stdout, _ := runCmd(t, nil, "version")
	if code != 0 || !strings.HasPrefix(stdout, "safegrid ") {
		t.Errorf("version: exit %d, stdout %q", code, stdout)
	}
}

func TestConfigErrorsNameTheirVariable(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, value string }{
		{"SAFEGRID_HTTP_ADDR", "nonsense"},
		{"SAFEGRID_HTTP_ADDR", ":99999"},
		{"DATABASE_URL", "mysql://root@localhost/x"},
		{"DATABASE_URL", "postgres://user@host:notaport/db"},
		{"SAFEGRID_S3_ENDPOINT", "http://127.0.0.1:9000"},
		{"SAFEGRID_S3_BUCKET", "Bad_Bucket"},
		{"SAFEGRID_S3_USE_TLS", "maybe"},
		{"SAFEGRID_MODEL_SOURCE", "ftp://example/models"},
		{"SAFEGRID_AI_SESSIONS", "0"},
		{"SAFEGRID_LOG_FORMAT", "xml"},
		{"SAFEGRID_LOG_LEVEL", "loud"},
		{"SAFEGRID_BODY_LIMIT", "-1"},
		{"SAFEGRID_MAX_PHOTO_BYTES", "lots"},
		{"SAFEGRID_SHUTDOWN_TIMEOUT", "soon"},
		{"SAFEGRID_TRUSTED_PROXIES", "10.0.0.1,not-an-ip"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			env := map[string]string{tt.name: tt.value}
			_, err := config.Load(func(k string) string { return env[k] })
			if err == nil {
				t.Fatalf("config.Load accepted %s=%q", tt.name, tt.value)
			}
			if !strings.Contains(err.Error(), tt.name) || !strings.Contains(err.Error(), tt.value) {
				t.Errorf("error %q does not name %s and its value", err, tt.name)
			}
			// serve and migrate refuse to start with the same one line, exit code 1.
			code, _, stderr := runCmd(t, env, "migrate")
			if code == 0 || !strings.Contains(stderr, tt.name) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("migrate with bad %s: exit %d, stderr %q; want one line naming it and a non-zero exit", tt.name, code, stderr)
			}
		})
	}
}
