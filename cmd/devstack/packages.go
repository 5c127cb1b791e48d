package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// systemPackages are the Debian packages SafeGrid needs to build, run and test,
// with a file each installs (a C header name, or an absolute path): libjpeg-turbo's
// headers and library, for the photo package's DCT-scaled JPEG decoding (cgo); a
// TrueType font with Chinese glyphs for the site dossier's PDF (Noto CJK comes as
// OpenType collections, which PDF writers cannot embed); poppler's pdftotext, with
// which the tests read the PDFs back.
var systemPackages = []struct{ name, file string }{
	{"libjpeg62-turbo-dev", "jpeglib.h"},
	{"fonts-droid-fallback", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"},
	{"poppler-utils", "/usr/bin/pdftotext"},
}

// ensurePackages installs the system packages SafeGrid needs to build when they are
// missing and we are root (`make run` and `make test` call it before compiling).
func ensurePackages(ctx context.Context) error {
	var missing []string
	for _, p := range systemPackages {
		if !headerPresent(p.file) {
			missing = append(missing, p.name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("%v missing: install them (Debian: apt-get install %v)", missing, missing)
	}
	logf("packages: installing Debian's %v (apt-get) ...", missing)
	return aptInstall(ctx, missing...)
}

// headerPresent reports whether a C header is in the compiler's usual places, or
// whether the file at an absolute path exists.
func headerPresent(name string) bool {
	if filepath.IsAbs(name) {
		_, err := os.Stat(name)
		return err == nil
	}
	matches, _ := filepath.Glob(filepath.Join("/usr/include", "*", name))
	_, err := os.Stat(filepath.Join("/usr/include", name))
	return err == nil || len(matches) > 0
}

// aptInstall installs Debian packages with apt-get, after refreshing its lists.
func aptInstall(ctx context.Context, packages ...string) error {
	for _, args := range [][]string{{"update"}, append([]string{"install", "-y", "--no-install-recommends"}, packages...)} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("apt-get %s: %w", args[0], err)
		}
	}
	return nil
}
