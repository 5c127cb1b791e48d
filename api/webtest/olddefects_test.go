package webtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// patchHeader is what run.sh reads from each patch: the defect, the test that must
// fail with it and a phrase of that failure.
var patchHeader = regexp.MustCompile(`(?m)\ADefect: .+\n(?:.+\n)*Test: \./\S+/ Test\w+\nExpect: .+\n`)

// TestOldDefectPatchesApply keeps `make defects` usable: every patch in
// olddefects/ must still apply to the code as it is and carry the header run.sh
// reads. When a change to the app makes one fail to apply, write that patch again
// against today's code and run `make defects DEFECTS=<its number>` to see that its
// test still catches the defect.
func TestOldDefectPatchesApply(t *testing.T) {
	t.Parallel()
	patches, err := filepath.Glob(filepath.Join("olddefects", "*.patch"))
	if err != nil || len(patches) == 0 {
		t.Fatalf("no patches in olddefects/: %v", err)
	}
	root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("SKIPPED: not in a git checkout (git rev-parse: %v); the patches are checked only in one", err)
	}
	for _, p := range patches {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !patchHeader.Match(b) {
			t.Errorf("%s: the header must be 'Defect: …', 'Test: ./<package>/ <TestName>', 'Expect: <phrase>'", p)
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("git", "apply", "--check", abs)
		cmd.Dir = string(root[:len(root)-1])
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s no longer applies to the code (write it again against today's code, then run make defects DEFECTS=%s): %v\n%s",
				filepath.Base(p), strings.SplitN(filepath.Base(p), "-", 2)[0], err, out)
		}
	}
}
