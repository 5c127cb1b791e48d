package models

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

func TestEmbeddedManifests(t *testing.T) {
	tests := []struct {
		name, family, input, output string
		size                        int
		outShape                    []int64
	}{
		{"yolox_nano", FamilyYOLOX, "images", "output", 416, []int64{1, 3549, 85}},
		{"fastestdet", FamilyFastestDet, "input.1", "758", 352, []int64{1, 85, 22, 22}},
	}
	for _, tt := range tests {
		m := embedded(t, tt.name)
		if m.Family != tt.family || m.Input.Name != tt.input || m.Output.Name != tt.output || m.Input.Size != tt.size || len(m.Classes) != 80 {
			t.Errorf("%s: %+v", tt.name, m)
		}
		if got := m.OutputShape(); !equalShape(got, tt.outShape) {
			t.Errorf("%s: output shape %v, want %v", tt.name, got, tt.outShape)
		}
		if m.Classes[3] != "motorcycle" || m.Classes[56] != "chair" {
			t.Errorf("%s: classes 3, 56 = %q, %q", tt.name, m.Classes[3], m.Classes[56])
		}
	}
	if _, err := EmbeddedManifest("resnet"); inspect.ErrorCode(err) != inspect.ENOTFOUND {
		t.Errorf("unknown manifest: %v", err)
	}
}

func equalShape(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseManifestErrorsNameTheField(t *testing.T) {
	good, err := embeddedManifests.ReadFile("manifests/yolox_nano.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, from, to, field string
	}{
		{"family", "family: yolox", "family: ssd", "family"},
		{"hash", "sha256: 695e", "sha256: XYZ", "sha256"},
		{"file with a path", "file: yolox_nano.onnx", "file: ../yolox_nano.onnx", "file"},
		{"channel order", "channel_order: bgr", "channel_order: bgrx", "input.channel_order"},
		{"letterbox", "letterbox: top_left ", "letterbox: middle ", "input.letterbox"},
		{"size", "size: 416", "size: 400", "input.size"},
		{"score", "score: 0.35", "score: 1.5", "thresholds.score"},
		{"unknown field", "intra_op_threads: 1", "intra_op_threads: 1\ngpu: true", "gpu"},
		{"slicing crop", "intra_op_threads: 1", "intra_op_threads: 1\nslicing: {crop: 0.95}", "slicing.crop"},
		{"slicing tiles", "intra_op_threads: 1", "intra_op_threads: 1\nslicing: {tiles: 8}", "slicing.tiles"},
		{"slicing crop and tiles", "intra_op_threads: 1", "intra_op_threads: 1\nslicing: {crop: 0.5, tiles: 2}", "slicing"},
		{"slicing overlap without tiles", "intra_op_threads: 1", "intra_op_threads: 1\nslicing: {overlap: 0.2}", "slicing.overlap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := strings.Replace(string(good), tt.from, tt.to, 1)
			if data == string(good) {
				t.Fatalf("%q not found in the manifest", tt.from)
			}
			_, err := ParseManifest([]byte(data))
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %v does not name %s", err, tt.field)
			}
		})
	}
}

func TestParseManifestSlicing(t *testing.T) {
	good, err := embeddedManifests.ReadFile("manifests/yolox_nano.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseManifest(good)
	if err != nil || m.Slicing.On() {
		t.Fatalf("shipped manifest: slicing %+v, err %v; want off", m.Slicing, err)
	}
	data := strings.Replace(string(good), "intra_op_threads: 1", "intra_op_threads: 1\nslicing: {tiles: 2, overlap: 0.2}", 1)
	if m, err = ParseManifest([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if want := (Slicing{Tiles: 2, Overlap: 0.2}); m.Slicing != want || len(m.Slicing.Regions()) != 4 {
		t.Errorf("slicing %+v with %d regions, want %+v with 4", m.Slicing, len(m.Slicing.Regions()), want)
	}
}

func FuzzParseManifest(f *testing.F) {
	for _, name := range EmbeddedManifestNames() {
		data, _ := embeddedManifests.ReadFile("manifests/" + name + ".yaml")
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("parsed manifest does not validate: %v", err)
		}
		if len(m.OutputShape()) == 0 {
			t.Fatal("valid manifest without an output shape")
		}
	})
}

// sourceFolder writes a model source with a fake model file and its manifest.
func sourceFolder(t *testing.T, name string, content []byte) (string, Manifest) {
	t.Helper()
	dir := t.TempDir()
	m := embedded(t, "fastestdet")
	m.Name, m.File, m.SHA256 = name, name+".onnx", sha256Hex(content)
	writeFile(t, filepath.Join(dir, m.File), content)
	writeManifest(t, filepath.Join(dir, name+".yaml"), m)
	return dir, m
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestInstallFromFolder(t *testing.T) {
	source, m := sourceFolder(t, "tiny", []byte("model bytes"))
	cache := t.TempDir()
	dir, err := Install(t.Context(), source, "tiny", cache)
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(cache, "models", "tiny") {
		t.Errorf("installed into %s", dir)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "tiny.onnx")); string(got) != "model bytes" {
		t.Errorf("installed model %q", got)
	}
	installed, err := LoadManifest(filepath.Join(dir, ManifestFile))
	if err != nil || installed.SHA256 != m.SHA256 {
		t.Errorf("installed manifest %+v, %v", installed, err)
	}

	// A cached copy with the right hash is reused: the source may even be gone.
	os.Remove(filepath.Join(source, "tiny.onnx"))
	if again, err := Install(t.Context(), source, "tiny", cache); err != nil || again != dir {
		t.Errorf("second install: %s, %v", again, err)
	}

	// A damaged cached copy is replaced from the source.
	writeFile(t, filepath.Join(source, "tiny.onnx"), []byte("model bytes"))
	writeFile(t, filepath.Join(dir, "tiny.onnx"), []byte("damaged"))
	if _, err := Install(t.Context(), source, "tiny", cache); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "tiny.onnx")); string(got) != "model bytes" {
		t.Errorf("damaged copy not replaced: %q", got)
	}
}

func TestInstallRefusesWrongHash(t *testing.T) {
	source, m := sourceFolder(t, "tiny", []byte("model bytes"))
	writeFile(t, filepath.Join(source, "tiny.onnx"), []byte("tampered bytes"))
	cache := t.TempDir()
	_, err := Install(t.Context(), source, "tiny", cache)
	if err == nil {
		t.Fatal("Install accepted a file with the wrong hash")
	}
	for _, want := range []string{m.SHA256, sha256Hex([]byte("tampered bytes"))} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(cache, "models", "tiny"))
	if len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestInstallUsesBuiltInManifest(t *testing.T) {
	// The folder has a yolox_nano.onnx but no manifest: the built-in one is used, and
	// its hash does not match this fake.
	source := t.TempDir()
	writeFile(t, filepath.Join(source, "yolox_nano.onnx"), []byte("not yolox"))
	_, err := Install(t.Context(), source, "", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), embedded(t, "yolox_nano").SHA256) {
		t.Errorf("error %v, want a hash mismatch naming the built-in manifest's hash", err)
	}
}

func TestInstallFromURL(t *testing.T) {
	source, _ := sourceFolder(t, "tiny", []byte("served model"))
	srv := httptest.NewServer(http.FileServer(http.Dir(source)))
	defer srv.Close()
	dir, err := Install(t.Context(), srv.URL+"/", "tiny", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "tiny.onnx")); string(got) != "served model" {
		t.Errorf("installed %q", got)
	}
	if _, err := Install(t.Context(), srv.URL, "absent", t.TempDir()); err == nil || !strings.Contains(err.Error(), "absent") {
		t.Errorf("missing model: %v", err)
	}
}

func TestInstallNeedsASource(t *testing.T) {
	_, err := Install(t.Context(), "", "", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "SAFEGRID_MODEL_SOURCE") {
		t.Errorf("error %v, want it to name SAFEGRID_MODEL_SOURCE", err)
	}
	_, err = Install(t.Context(), filepath.Join(t.TempDir(), "nowhere"), "", t.TempDir())
	if !errors.As(err, new(*inspect.Error)) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing source folder: %v", err)
	}
}

// TestInstallRealModel copies the real models from SAFEGRID_MODEL_SOURCE and checks
// them against the built-in manifests.
func TestInstallRealModel(t *testing.T) {
	source := requireEnv(t, envModelSource)
	for _, name := range EmbeddedManifestNames() {
		dir, err := Install(t.Context(), source, name, t.TempDir())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m := embedded(t, name)
		if sum, err := fileSHA256(filepath.Join(dir, m.File)); err != nil || sum != m.SHA256 {
			t.Errorf("%s: installed hash %s, %v", name, sum, err)
		}
	}
}
