package main

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeDocumentsEveryVariable keeps the README's configuration table in step
// with configVars: every variable appears with its default.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, v := range configVars() {
		def := "`" + v.def + "`"
		if v.def == "" {
			def = "(empty)"
		}
		row := "| `" + v.name + "` | " + def + " | " + v.doc + " |"
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
