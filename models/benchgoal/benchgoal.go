// Package benchgoal prints the figures of SafeGrid's benchmarks that have a goal
// (issue #11), one line each in one format, so that `make bench` can gather them
// from every package's output into one summary. A benchmark never fails on speed:
// a goal not met is printed as such.
package benchgoal

import "fmt"

// Prefix starts every goal line; `make bench` collects the lines that start with it.
const Prefix = "GOAL "

// AtLeast prints a figure whose goal is a lower bound, e.g. a ratio to a baseline:
// what it measures, the figure, the goal, whether it is met, and how the figure
// was made (the baseline from the same run).
func AtLeast(what string, got, goal float64, how string) {
	fmt.Printf("%s%-64s %8.3f  goal ≥ %-6g %-8s %s\n", Prefix, what, got, goal, verdict(got >= goal), how)
}

// Below prints a figure whose goal is an upper bound, e.g. a peak memory in MB.
func Below(what string, got, goal float64, unit, how string) {
	fmt.Printf("%s%-64s %8.1f  goal < %-6g %-8s %s\n", Prefix, what+" ("+unit+")", got, goal, verdict(got < goal), how)
}

// Info prints a figure without a goal that belongs with the others (a cost, a count).
func Info(what string, got float64, unit, how string) {
	fmt.Printf("%s%-64s %8.1f  %-22s %s\n", Prefix, what+" ("+unit+")", got, "", how)
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "NOT MET"
}
