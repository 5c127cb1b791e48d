package checklists_test

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/safegrid/safegrid/checklists"
)

func TestEmbeddedRules(t *testing.T) {
	t.Parallel()
	rs := setup(t)
	if len(rs.Rules) < 100 {
		t.Errorf("%d rules, want at least 100", len(rs.Rules))
	}
	if !regexp.MustCompile(`^sha256:[0-9a-f]{16}$`).MatchString(rs.Version) {
		t.Errorf("version %q, want sha256:<16 hex>", rs.Version)
	}
	covered := map[checklists.SiteType]int{}
	for _, r := range rs.Rules {
		if len(r.Citations) == 0 {
			t.Errorf("%s has no citation", r.Code)
		}
		if got, ok := rs.Rule(r.Code); !ok || got.Code != r.Code {
			t.Errorf("Rule(%s) not found", r.Code)
		}
		for _, s := range r.SiteTypes {
			covered[s]++
		}
	}
	for _, s := range []checklists.SiteType{"hotel", "guesthouse", "short_let", "rental", "group_rental", "shop", "restaurant", "live_work", "ebike_shop", "residential_building"} {
		if covered[s] == 0 {
			t.Errorf("no rule names site type %s", s)
		}
	}
	if _, ok := rs.Rule("NOPE-999"); ok {
		t.Error("Rule found a code that does not exist")
	}
}

// TestLoadDirMatchesEmbedded loads the rules folder from disk: same rules, same version.
func TestLoadDirMatchesEmbedded(t *testing.T) {
	t.Parallel()
	rs := setup(t)
	disk, err := checklists.LoadDir("rules")
	if err != nil {
		t.Fatal(err)
	}
	if disk.Version != rs.Version || len(disk.Rules) != len(rs.Rules) {
		t.Errorf("disk %s/%d rules, embedded %s/%d rules", disk.Version, len(disk.Rules), rs.Version, len(rs.Rules))
	}
}

// wantedError is a defect a fixture line announces with a "# want: text" comment.
type wantedError struct {
	file, code, text string
	line             int
}

var (
	wantRE = regexp.MustCompile(`#\s*want:\s*(.+)$`)
	codeRE = regexp.MustCompile(`code:\s*([A-Z]+-\d+)`)
)

// wantedErrors reads the "# want:" markers of every YAML file under dir.
func wantedErrors(t *testing.T, dir string) []wantedError {
	t.Helper()
	var wants []wantedError
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		code := ""
		if strings.Contains(p, "params") {
			code = strings.TrimSuffix(filepath.Base(p), ".yaml")
		}
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			if m := codeRE.FindStringSubmatch(sc.Text()); m != nil {
				code = m[1]
			}
			if m := wantRE.FindStringSubmatch(sc.Text()); m != nil {
				wants = append(wants, wantedError{file: filepath.ToSlash(p), line: n, code: code, text: strings.Trim(m[1], " ")})
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return wants
}

func TestBrokenRulesReportEveryDefect(t *testing.T) {
	t.Parallel()
	dir := "../testdata/rules/broken"
	_, err := checklists.LoadDir(dir)
	var les checklists.LoadErrors
	if !errors.As(err, &les) {
		t.Fatalf("LoadDir(%s) = %v, want LoadErrors", dir, err)
	}
	wants := wantedErrors(t, dir)
	if len(wants) < 15 {
		t.Fatalf("fixture announces only %d defects", len(wants))
	}
	matched := make([]bool, len(les))
	for _, w := range wants {
		found := false
		for i, e := range les {
			if e.File == w.file && e.Line == w.line && e.Code == w.code && strings.Contains(e.Message, w.text) {
				found, matched[i] = true, true
			}
		}
		if !found {
			t.Errorf("missing: %s:%d: %s: ...%s...", w.file, w.line, w.code, w.text)
		}
	}
	for i, e := range les {
		if !matched[i] {
			t.Errorf("unexpected error: %v", e)
		}
	}
	// Error() lists every defect, one per line, as file:line: CODE: message.
	if got := strings.Count(err.Error(), "\n") + 1; got != len(les) {
		t.Errorf("Error() has %d lines for %d errors", got, len(les))
	}
	if !strings.Contains(err.Error(), "../testdata/rules/broken/broken.yaml:10: BRK-001: when: unknown attribute \"flors\"") {
		t.Errorf("Error() lacks the file:line: CODE: message form:\n%v", err)
	}
}

// ruleFS returns the embedded rules folder as a MapFS that tests can change.
func ruleFS(t testing.TB) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	root := "rules"
	err := fs.WalkDir(os.DirFS("."), root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m[strings.TrimPrefix(p, root+"/")] = &fstest.MapFile{Data: data}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestVersionFollowsContent(t *testing.T) {
	t.Parallel()
	base := ruleFS(t)
	a, err := checklists.LoadFS(base, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := checklists.LoadFS(base, "b")
	if err != nil {
		t.Fatal(err)
	}
	if a.Version != b.Version {
		t.Errorf("same content, versions %s and %s", a.Version, b.Version)
	}
	changed := ruleFS(t)
	changed["params/zhejiang.yaml"].Data = []byte(strings.Replace(string(changed["params/zhejiang.yaml"].Data), "value: 6", "value: 7", 1))
	c, err := checklists.LoadFS(changed, "c")
	if err != nil {
		t.Fatal(err)
	}
	if c.Version == a.Version {
		t.Error("changing a parameter did not change the version")
	}
	pc := checklists.DiffParams(a, c)
	if len(pc) != 1 || pc[0].Jurisdiction != "zhejiang" || pc[0].Name != "group_rental_min_area_per_person_m2" ||
		pc[0].Old == nil || *pc[0].Old != 6 || pc[0].New == nil || *pc[0].New != 7 {
		t.Errorf("DiffParams = %+v, want zhejiang group_rental_min_area_per_person_m2 6 → 7 only", pc)
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	oldFS := ruleFS(t)
	newFS := ruleFS(t)
	exits := string(newFS["exits.yaml"].Data)
	// Change EXIT-004's rectify days and drop EXIT-013; add a new rule.
	exits = strings.Replace(exits, "    rectify_days: 1\n    ai_checks: [escape_route_obstructed]\n    location: corridor",
		"    rectify_days: 2\n    ai_checks: [escape_route_obstructed]\n    location: corridor", 1)
	i := strings.Index(exits, "  - code: EXIT-013")
	exits = exits[:i] + `  - code: EXIT-099
    title: {zh: 新规则, en: New rule}
    explanation: {zh: 说明, en: Explanation}
    site_types: [all]
    citations: [{source: fire_law, clause: "第28条", status: V}]
    evidence: photo
    severity: general
    rectify_days: 3
    location: exit
`
	newFS["exits.yaml"].Data = []byte(exits)
	old, err := checklists.LoadFS(oldFS, "old")
	if err != nil {
		t.Fatal(err)
	}
	new, err := checklists.LoadFS(newFS, "new")
	if err != nil {
		t.Fatal(err)
	}
	got := checklists.Diff(old, new)
	want := []struct{ kind, code, fields string }{
		{"changed", "EXIT-004", "rectify_days"},
		{"removed", "EXIT-013", ""},
		{"added", "EXIT-099", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("Diff = %+v, want %d changes", got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Kind != w.kind || g.Code != w.code || strings.Join(g.Fields, ",") != w.fields {
			t.Errorf("change %d = %s %s %v, want %s %s %s", i, g.Kind, g.Code, g.Fields, w.kind, w.code, w.fields)
		}
	}
	if d := checklists.DiffParams(old, new); len(d) != 0 {
		t.Errorf("DiffParams with no parameter change = %+v", d)
	}
	if d := checklists.Diff(old, old); len(d) != 0 {
		t.Errorf("Diff of a rule set with itself = %+v", d)
	}
}

func TestLoadFSStructuralErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(fstest.MapFS)
		wants []string
	}{
		{"no packs", func(m fstest.MapFS) {
			for k := range m {
				if !strings.Contains(k, "/") && k != "sources.yaml" {
					delete(m, k)
				}
			}
		}, []string{"no rule packs"}},
		{"no national pack", func(m fstest.MapFS) { delete(m, "params/national.yaml") }, []string{"no national parameter pack"}},
		{"bad yaml", func(m fstest.MapFS) { m["zz.yaml"] = &fstest.MapFile{Data: []byte("pack: x\nrules: [\n")} }, []string{"zz.yaml"}},
		{"unknown parent", func(m fstest.MapFS) {
			m["params/zz.yaml"] = &fstest.MapFile{Data: []byte("jurisdiction: zz\nparent: nowhere\nname: {zh: 某地, en: Somewhere}\n")}
		}, []string{`unknown parent jurisdiction "nowhere"`}},
		{"cycle", func(m fstest.MapFS) {
			m["params/xa.yaml"] = &fstest.MapFile{Data: []byte("jurisdiction: xa\nparent: xb\nname: {zh: 甲, en: A}\n")}
			m["params/xb.yaml"] = &fstest.MapFile{Data: []byte("jurisdiction: xb\nparent: xa\nname: {zh: 乙, en: B}\n")}
		}, []string{"cycle"}},
		{"param without source", func(m fstest.MapFS) {
			m["params/zz.yaml"] = &fstest.MapFile{Data: []byte("jurisdiction: zz\nname: {zh: 某地, en: Somewhere}\nparams:\n  lpg_hose_max_m: {value: 1.5, status: S}\n")}
		}, []string{"no source"}},
		{"duplicate across packs", func(m fstest.MapFS) {
			m["zz.yaml"] = &fstest.MapFile{Data: []byte("pack: zz\ntitle: {zh: 甲, en: A}\nrules:\n  - code: EXIT-001\n    title: {zh: 甲, en: A}\n    explanation: {zh: 甲, en: A}\n    site_types: [all]\n    citations: [{source: fire_law, clause: \"1\", status: V}]\n    evidence: photo\n    severity: general\n    rectify_days: 1\n    location: exit\n")}
		}, []string{"zz.yaml:4: EXIT-001: duplicate rule code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := ruleFS(t)
			tt.edit(m)
			_, err := checklists.LoadFS(m, "r")
			var les checklists.LoadErrors
			if !errors.As(err, &les) {
				t.Fatalf("err = %v, want LoadErrors", err)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("errors lack %q:\n%v", w, err)
				}
			}
		})
	}
}

// FuzzLoadRules feeds arbitrary bytes as one rule pack next to the shipped sources
// and parameters. Loading must never panic; it either fails with located
// LoadErrors or yields rules that satisfy the loader's promises.
func FuzzLoadRules(f *testing.F) {
	base := ruleFS(f)
	for name, file := range base {
		if !strings.Contains(name, "/") && name != "sources.yaml" {
			f.Add(file.Data)
		}
	}
	if data, err := os.ReadFile("../testdata/rules/broken/broken.yaml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("pack: x\nrules:\n  - code: A-001\n    when: \"((((\"\n"))
	f.Add([]byte("pack: x\nrules: [*a]\n"))
	profile := checklists.Profile{SiteType: checklists.SiteHotel, Floors: 4, FloorAreaM2: 1200, MaxFloorAreaM2: 300, Gas: "lpg", BuildingHeightM: 30}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := fstest.MapFS{
			"sources.yaml":         base["sources.yaml"],
			"params/national.yaml": base["params/national.yaml"],
			"fuzz.yaml":            &fstest.MapFile{Data: data},
		}
		rs, err := checklists.LoadFS(m, "fuzz")
		if err != nil {
			var les checklists.LoadErrors
			if !errors.As(err, &les) || len(les) == 0 {
				t.Fatalf("error is not a non-empty LoadErrors: %v", err)
			}
			for _, e := range les {
				if e.File == "" || e.Message == "" {
					t.Fatalf("load error without file or message: %+v", e)
				}
			}
			return
		}
		for _, r := range rs.Rules {
			if len(r.Citations) == 0 || r.Code == "" || r.Location == "" || path.Base(r.File) != "fuzz.yaml" {
				t.Fatalf("loaded an incomplete rule: %+v", r)
			}
		}
		if _, err := rs.Generate(profile); err != nil {
			t.Fatalf("generate: %v", err)
		}
	})
}
