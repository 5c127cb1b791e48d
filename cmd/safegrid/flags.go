package main

import (
	"errors"
	"flag"
	"io"
)

// errHelpShown means a command printed its own -h output; main exits 0.
var errHelpShown = errors.New("help shown")

// newFlagSet returns a flag set that reports errors instead of exiting, so main can
// print the usage line and exit 2.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("safegrid "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args into fs and maps flag errors to a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelpShown
		}
		return usagef("%s", err)
	}
	return nil
}

// noArgs refuses positional arguments for commands that take none.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// parseNoArgs parses args into fs for a command that takes flags only.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return noArgs(fs)
}

// parseArgs parses args into fs for a command that takes exactly n positional
// arguments, described by want ("two folders, OLD and NEW").
func parseArgs(fs *flag.FlagSet, args []string, n int, want string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != n {
		return usagef("expected %s", want)
	}
	return nil
}
