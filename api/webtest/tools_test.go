package webtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// playwrightVersion is the playwright-core the driver is written against
// (`npm view playwright-core version` when it was pinned). It only drives the
// browser; Chromium itself is Debian's.
const playwrightVersion = "1.65.1"

// axeVersion is the axe-core the tests inject into every screen to check
// accessibility (`npm view axe-core version` when it was pinned). It is part of
// the test driver only, never of the app.
const axeVersion = "4.14.1"

// chromiumPath is Debian's Chromium, unless SAFEGRID_CHROMIUM names another.
func chromiumPath() string {
	if p := os.Getenv("SAFEGRID_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// cacheDir is where playwright-core is installed, outside the repository.
func cacheDir() (string, error) {
	if d := os.Getenv("SAFEGRID_CACHE_DIR"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no SAFEGRID_CACHE_DIR and no home folder: %w", err)
	}
	return filepath.Join(home, ".cache", "safegrid"), nil
}

// browserTools is what the browser tests run: node, the folder holding
// node_modules/playwright-core, and Chromium.
type browserTools struct {
	node       string
	nodePrefix string
	chromium   string
}

var (
	toolsOnce sync.Once
	tools     browserTools
	toolsErr  error
)

// needBrowser returns the tools, installing what is missing once per test binary:
// Debian's chromium (and node/npm) with apt-get when running as root, and
// playwright-core with npm into the cache. When they cannot be had the test fails
// with what to do; SAFEGRID_SKIP_BROWSER=1 skips the browser tests on purpose.
func needBrowser(t *testing.T) browserTools {
	t.Helper()
	if os.Getenv("SAFEGRID_SKIP_BROWSER") == "1" {
		t.Skip("!!! SAFEGRID_SKIP_BROWSER=1: the browser tests of the web app are SKIPPED; unset it to run them !!!")
	}
	toolsOnce.Do(func() { tools, toolsErr = installTools(t) })
	if toolsErr != nil {
		t.Fatalf("browser tests need Chromium, node and playwright-core: %v\n"+
			"fix: run as root once so the test can `apt-get install chromium nodejs npm`, or install them yourself "+
			"(SAFEGRID_CHROMIUM may name another Chromium); set SAFEGRID_SKIP_BROWSER=1 to skip these tests on purpose", toolsErr)
	}
	return tools
}

func installTools(t *testing.T) (browserTools, error) {
	var bt browserTools
	var aptWants []string
	if _, err := os.Stat(chromiumPath()); err != nil {
		if os.Getenv("SAFEGRID_CHROMIUM") != "" {
			return bt, fmt.Errorf("SAFEGRID_CHROMIUM=%s: %w", chromiumPath(), err)
		}
		aptWants = append(aptWants, "chromium")
	}
	if _, err := exec.LookPath("node"); err != nil {
		aptWants = append(aptWants, "nodejs")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		aptWants = append(aptWants, "npm")
	}
	if !hasChineseFont() {
		// Without a CJK font the screenshots show boxes instead of Chinese text; the
		// tests still mean something, so this is only installed when possible.
		if os.Geteuid() == 0 {
			aptWants = append(aptWants, "fonts-wqy-microhei")
		} else {
			t.Log("WARNING: no Chinese font (fc-list :lang=zh is empty); screenshots will show boxes. Install fonts-wqy-microhei.")
		}
	}
	if len(aptWants) > 0 {
		if err := aptInstall(t, aptWants); err != nil {
			return bt, err
		}
	}
	bt.chromium = chromiumPath()
	if _, err := os.Stat(bt.chromium); err != nil {
		return bt, fmt.Errorf("chromium: %w", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return bt, fmt.Errorf("node: %w", err)
	}
	bt.node = node
	dir, err := cacheDir()
	if err != nil {
		return bt, err
	}
	bt.nodePrefix = filepath.Join(dir, "node")
	if installedPackage(bt.nodePrefix, "playwright-core") == playwrightVersion && installedPackage(bt.nodePrefix, "axe-core") == axeVersion {
		return bt, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return bt, fmt.Errorf("npm: %w", err)
	}
	if err := os.MkdirAll(bt.nodePrefix, 0o755); err != nil {
		return bt, err
	}
	t.Logf("installing playwright-core@%s and axe-core@%s into %s", playwrightVersion, axeVersion, bt.nodePrefix)
	cmd := exec.Command(npm, "install", "--prefix", bt.nodePrefix, "--no-audit", "--no-fund", "--loglevel=error",
		"playwright-core@"+playwrightVersion, "axe-core@"+axeVersion)
	cmd.Env = append(os.Environ(), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return bt, fmt.Errorf("npm install playwright-core@%s axe-core@%s: %w\n%s", playwrightVersion, axeVersion, err, out)
	}
	for pkg, want := range map[string]string{"playwright-core": playwrightVersion, "axe-core": axeVersion} {
		if v := installedPackage(bt.nodePrefix, pkg); v != want {
			return bt, fmt.Errorf("after npm install, %s holds %s %q, want %s", bt.nodePrefix, pkg, v, want)
		}
	}
	return bt, nil
}

// hasChineseFont reports whether fontconfig knows a font that covers Chinese.
func hasChineseFont() bool {
	out, err := exec.Command("fc-list", ":lang=zh", "family").Output()
	return err == nil && len(strings.TrimSpace(string(out))) > 0
}

// installedPackage returns the version of an npm package installed under prefix, or "".
func installedPackage(prefix, name string) string {
	b, err := os.ReadFile(filepath.Join(prefix, "node_modules", name, "package.json"))
	if err != nil {
		return ""
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(b, &pkg) != nil {
		return ""
	}
	return pkg.Version
}

func aptInstall(t *testing.T, pkgs []string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s missing and not running as root, so they cannot be installed with apt-get", strings.Join(pkgs, ", "))
	}
	apt, err := exec.LookPath("apt-get")
	if err != nil {
		return errors.New(strings.Join(pkgs, ", ") + " missing and there is no apt-get to install them")
	}
	t.Logf("installing %s with apt-get (once)", strings.Join(pkgs, ", "))
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	update := exec.Command(apt, "update")
	update.Env = env
	if out, err := update.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get update: %w\n%s", err, tail(out))
	}
	install := exec.Command(apt, append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)...)
	install.Env = env
	if out, err := install.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get install %s: %w\n%s", strings.Join(pkgs, " "), err, tail(out))
	}
	return nil
}

func tail(b []byte) string {
	const n = 2000
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
