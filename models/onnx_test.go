package models

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/safegrid/safegrid/models/modeltest"
)

// The tiny ONNX models of these tests come from modeltest.ConstantModel.

type constantOutput = modeltest.Output

// constantModel returns an ONNX model with one float input (inName, inShape) that it
// ignores and one output (outName, outShape) that is always values.
func constantModel(inName string, inShape []int64, outName string, outShape []int64, values []float32) []byte {
	return modeltest.ConstantModel(inName, inShape, modeltest.Output{Name: outName, Shape: outShape, Values: values})
}

// constantModelOutputs returns an ONNX model whose outputs are always their values.
func constantModelOutputs(inName string, inShape []int64, outs ...constantOutput) []byte {
	return modeltest.ConstantModel(inName, inShape, outs...)
}

// writeTinyModel writes a constant model for manifest m (its input and output names and
// shapes, with outShape overriding the output shape when set) and a manifest beside it
// whose SHA-256 matches, into a new temporary folder, and returns the folder.
func writeTinyModel(t testing.TB, m Manifest, values []float32, outShape []int64) string {
	t.Helper()
	if outShape == nil {
		outShape = m.OutputShape()
	}
	return writeModelDir(t, m, constantModel(m.Input.Name, m.InputShape(), m.Output.Name, outShape, values))
}

// writeModelDir writes model data as <name>.onnx and manifest m (with that file and its
// SHA-256) into a new temporary folder.
func writeModelDir(t testing.TB, m Manifest, data []byte) string {
	t.Helper()
	dir := t.TempDir()
	m.File = m.Name + ".onnx"
	m.SHA256 = sha256Hex(data)
	if err := os.WriteFile(filepath.Join(dir, m.File), data, 0o644); err != nil {
		t.Fatal(err)
	}
	writeManifest(t, filepath.Join(dir, ManifestFile), m)
	return dir
}

// writeManifest writes m as YAML, rendered by hand so that the test does not depend on
// the YAML library's output format.
func writeManifest(t testing.TB, path string, m Manifest) {
	t.Helper()
	var s strings.Builder
	fmt.Fprintf(&s, "name: %s\nfamily: %s\nfile: %s\nsha256: %s\n", m.Name, m.Family, m.File, m.SHA256)
	fmt.Fprintf(&s, "input:\n  name: %q\n  size: %d\n  channel_order: %s\n  normalisation: %s\n  letterbox: %s\n  pad_value: %d\n",
		m.Input.Name, m.Input.Size, m.Input.ChannelOrder, m.Input.Normalisation, m.Input.Letterbox, m.Input.PadValue)
	o := m.Output
	fmt.Fprintf(&s, "output:\n")
	for _, f := range []struct{ key, value string }{{"name", o.Name}, {"boxes", o.Boxes}, {"scores", o.Scores}, {"box_format", o.BoxFormat}, {"box_units", o.BoxUnits}} {
		if f.value != "" {
			fmt.Fprintf(&s, "  %s: %q\n", f.key, f.value)
		}
	}
	if o.Count != 0 {
		fmt.Fprintf(&s, "  count: %d\n", o.Count)
	}
	if o.Logits {
		fmt.Fprintf(&s, "  logits: true\n")
	}
	fmt.Fprintf(&s, "thresholds:\n  score: %g\n  nms_iou: %g\nintra_op_threads: %d\nclasses:\n",
		m.Thresholds.Score, m.Thresholds.NMSIoU, m.IntraOpThreads)
	for _, c := range m.Classes {
		fmt.Fprintf(&s, "  - %q\n", c)
	}
	if len(m.Checks) > 0 {
		fmt.Fprintf(&s, "checks:\n")
		for _, code := range slices.Sorted(maps.Keys(m.Checks)) {
			cc := m.Checks[code]
			fmt.Fprintf(&s, "  %s:\n    classes: [%s]\n", code, quoteAll(cc.Classes))
			if len(cc.ReviewOnlyClasses) > 0 {
				fmt.Fprintf(&s, "    review_only_classes: [%s]\n", quoteAll(cc.ReviewOnlyClasses))
			}
		}
	}
	if err := os.WriteFile(path, []byte(s.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// quoteAll renders names as a YAML flow list's items.
func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// embedded returns a built-in manifest or fails the test.
func embedded(t testing.TB, name string) Manifest {
	t.Helper()
	m, err := EmbeddedManifest(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Environment variables the tests read the real parts from.
const (
	envORTLib      = "SAFEGRID_ORT_LIB"
	envModelSource = "SAFEGRID_MODEL_SOURCE"
	envTestImages  = "SAFEGRID_TEST_IMAGES"
)

var envHelp = map[string]string{
	envORTLib:      "path of libonnxruntime.so.1 from ONNX Runtime " + RuntimeVersion + " (npm onnxruntime-node@" + RuntimeVersion + ", bin/napi-v6/linux/x64/)",
	envModelSource: "folder or URL holding yolox_nano.onnx and fastestdet.onnx (e.g. ../shared/models)",
	envTestImages:  "folder of the real test photos (e.g. ../shared/images)",
}

// requireEnv returns the variable's value, or skips the test loudly when it is unset.
func requireEnv(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("SKIPPED: %s is not set — it must name the %s. This test needs the real thing and does not run without it.", name, envHelp[name])
	}
	return v
}

var runtimeOnce struct {
	sync.Mutex
	err error
}

// setupRuntime loads ONNX Runtime from SAFEGRID_ORT_LIB, or skips the test loudly.
func setupRuntime(t testing.TB) {
	t.Helper()
	lib := requireEnv(t, envORTLib)
	runtimeOnce.Lock()
	defer runtimeOnce.Unlock()
	if err := InitRuntime(lib); err != nil {
		t.Fatalf("load ONNX Runtime from %s=%s: %v", envORTLib, lib, err)
	}
}

func TestMain(m *testing.M) {
	var missing []string
	for _, v := range []string{envORTLib, envModelSource, envTestImages} {
		if os.Getenv(v) == "" {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "\n*** models tests: %s not set — the tests that need them will SKIP (run go test -v to see which). ***\n\n", strings.Join(missing, ", "))
	}
	os.Exit(m.Run())
}

// TestConstantModelLoads checks the hand-encoded protobuf: ONNX Runtime must accept it,
// report the declared input and output, and return the constant.
func TestConstantModelLoads(t *testing.T) {
	setupRuntime(t)
	m := embedded(t, "fastestdet")
	values := make([]float32, 85*22*22)
	for i := range values {
		values[i] = float32(i%1000) / 1000
	}
	dir := writeTinyModel(t, m, values, nil)
	d, err := Open(dir, Options{Sessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s, err := d.acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { d.slots <- s }()
	if err := s.run.Run(); err != nil {
		t.Fatal(err)
	}
	got := s.data[0]
	for i := range values {
		if got[i] != values[i] {
			t.Fatalf("output[%d] = %g, want %g", i, got[i], values[i])
		}
	}
}
