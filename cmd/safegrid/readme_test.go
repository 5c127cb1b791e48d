package main

import (
	"os"
	"strings"
	"testing"

	"github.com/safegrid/safegrid/storage/config"
)

// TestReadmeDocumentsEveryVariable keeps the README's configuration table in step
// with config.Vars: every variable appears with its default.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, v := range config.Vars() {
		def := "`" + v.Default + "`"
		if v.Default == "" {
			def = "(empty)"
		}
		row := "| `" + v.Name + "` | " + def + " | " + v.Doc + " |"
		if !strings.Contains(readme, row) {
			t.Errorf("README lacks the row\n%s", row)
		}
	}
	for _, c := range commands() {
		if !strings.Contains(readme, "| `"+c.name+"` |") && c.name != "help" {
			t.Errorf("README's command table lacks %q", c.name)
		}
	}
}
