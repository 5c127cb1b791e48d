package config

import (
	"strings"
	"testing"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != ":8080" || cfg.S3Bucket != "safegrid" || cfg.MaxPhotoBytes != 20<<20 || cfg.ShutdownTimeout.Seconds() != 10 {
		t.Errorf("unexpected defaults: %+v", cfg)
	}
	if !strings.HasSuffix(cfg.ORTLib, "onnxruntime-1.24.1/libonnxruntime.so.1") {
		t.Errorf("ORT library default %q is not in the cache folder", cfg.ORTLib)
	}
}
