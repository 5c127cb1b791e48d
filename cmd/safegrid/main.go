// Command safegrid is the one SafeGrid binary: the HTTP server, migrations, the rule
// and checklist tools, the detector and the operator commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand of the binary. Names may have two words ("rules lint").
type command struct {
	name    string
	summary string
	usage   string // the argument synopsis after the name, e.g. "[--json] PHOTO..."
	run     func(ctx context.Context, env *runEnv, args []string) error
}

// runEnv is what every command gets: its output streams and the process environment.
type runEnv struct {
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// usageError is returned by a command when its arguments are wrong; main prints the
// command's usage and exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitError carries a specific exit code for a failure already reported to the user
// (for example a lint run that printed its findings).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func runVersion(ctx context.Context, env *runEnv, args []string) error {
	if err := parseNoArgs(newFlagSet("version", env.stderr), args); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "safegrid", version)
	return nil
}

func commands() []command {
	return []command{
		{name: "serve", summary: "run the HTTP API, web app and background jobs", run: runServe},
		{name: "migrate", summary: "apply database migrations (also done by serve at start-up)", run: dbCommand("migrate", migrate)},
		{name: "version", summary: "print the version of this binary", run: runVersion},
		{name: "help", summary: "list the subcommands", usage: "[COMMAND]", run: nil},
		{name: "rules lint", summary: "validate rule packs and list every error", usage: "[DIR]", run: runRulesLint},
		{name: "rules diff", summary: "list rules added, removed and changed between two rule folders", usage: "OLD NEW", run: runRulesDiff},
		{name: "rules coverage", summary: "list per source the clauses the rules cover and those deliberately left out", usage: "[DIR]", run: runRulesCoverage},
		{name: "checklist", summary: "print the checklist generated for a site profile", usage: "--profile FILE [--lang zh|en] [--json] [--rules DIR]", run: runChecklist},
		{name: "seed-demo", summary: "fill an empty database with a demo district and print how to log in", usage: "[--if-empty]", run: runSeedDemo},
		{name: "seed-load", summary: "fill an empty database with a generated city for load tests (COPY, one transaction)", usage: "[--sites N] [--hazards N] [--years N] [--grids N] [--seed S]", run: runSeedLoad},
		{name: "report", summary: "print the KPIs of a unit's subtree over a period", usage: "--unit ID --from YYYY-MM-DD --to YYYY-MM-DD [--json] [--raw]", run: runReport},
		{name: "audit verify", summary: "recompute every hazard's event chain and report the first broken link", run: dbCommand("audit verify", auditVerify)},
		{name: "dataset export", summary: "write the reviewed photos as a YOLO data set for retraining", usage: "DIR", run: runDatasetExport},
		{name: "model eval", summary: "score a candidate model beside the active one, per AI check, on the photos the office has reviewed", usage: "--manifest FILE [--active DIR] [--json]", run: runModelEval},
		{name: "detect", summary: "run the hazard detector on photos and print detections and flags", usage: "[--model DIR] [--location TAG] [--json] [--annotate OUT] PHOTO...", run: runDetect},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &runEnv{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	code := runMain(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}

// runMain dispatches args to a subcommand and turns its result into an exit code.
func runMain(ctx context.Context, env *runEnv, args []string) int {
	cmds := commands()
	if len(args) == 0 {
		printHelp(env.stderr, cmds)
		return 2
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(env.stdout, cmds)
		return 0
	}
	cmd, rest, ok := findCommand(cmds, args)
	if !ok {
		fmt.Fprintf(env.stderr, "safegrid: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		printHelp(env.stderr, cmds)
		return 2
	}
	err := cmd.run(ctx, env, rest)
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelpShown):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(env.stderr, "safegrid %s: %s\nusage: safegrid %s %s\n", cmd.name, ue.msg, cmd.name, cmd.usage)
		return 2
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintf(env.stderr, "safegrid %s: %s\n", cmd.name, err)
		return 1
	}
}

// findCommand matches the longest command name (two words before one) at the start of args.
func findCommand(cmds []command, args []string) (command, []string, bool) {
	for _, n := range []int{2, 1} {
		if len(args) < n {
			continue
		}
		name := strings.Join(args[:n], " ")
		for _, c := range cmds {
			if c.name == name && c.run != nil {
				return c, args[n:], true
			}
		}
	}
	return command{}, nil, false
}

func printHelp(w io.Writer, cmds []command) {
	fmt.Fprintln(w, "usage: safegrid COMMAND [ARGS]\n\ncommands:")
	sorted := append([]command(nil), cmds...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'safegrid COMMAND -h' for a command's flags. Configuration comes from environment variables; see README.md.")
}
