#!/usr/bin/env bash
# Shows that each defect issue 17 found is caught by its test. Every *.patch here
# puts one defect back into the code (the old behaviour, as small as it can be
# written against today's code) and names, in its header, the test that must then
# fail and a phrase of the failure that says why. For each patch this applies it to
# a scratch worktree of HEAD, runs that one test and requires it to fail with that
# phrase; at the end it runs all the named tests on HEAD unpatched and requires
# them to pass.
#
# Run it with `make defects` (devstack provides Postgres and MinIO; the browser
# tests need what `make test` installs). `make defects DEFECTS="01 08a"` runs the
# patches whose names start with those prefixes. Not part of `make test`: each
# patch rebuilds the app, about a minute apiece.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(git -C "$here" rev-parse --show-toplevel)
work=$(mktemp -d)
tree="$work/tree"
cleanup() { git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT

# The test photos: the environment's, else the shared folder beside the checkout (as make does).
if [ -z "${SAFEGRID_TEST_IMAGES:-}" ] && [ -f "$root/../shared/images/SOURCES.md" ]; then
	SAFEGRID_TEST_IMAGES=$(cd "$root/../shared/images" && pwd)
	export SAFEGRID_TEST_IMAGES
fi
if [ -z "${SAFEGRID_TEST_IMAGES:-}" ]; then
	echo "defects: SAFEGRID_TEST_IMAGES is not set; the browser tests need the test photos (make sets it when ../shared/images exists)" >&2
	exit 2
fi

patches=()
for p in "$here"/*.patch; do
	name=$(basename "$p" .patch)
	if [ $# -eq 0 ]; then patches+=("$p"); continue; fi
	for want in "$@"; do
		case "$name" in "$want"*) patches+=("$p") ;; esac
	done
done
if [ ${#patches[@]} -eq 0 ]; then
	echo "defects: no patch matches: $*" >&2
	exit 2
fi

git -C "$root" worktree add --detach -q "$tree" HEAD || exit 1
echo "defects: ${#patches[@]} patches against HEAD $(git -C "$root" rev-parse --short HEAD) in $tree"

header() { sed -n "s/^$2: //p" "$1" | head -n 1; }
# defect is the patch's "Defect:" text, which may run over several lines.
defect() { sed -n '/^Defect: /,/^Test: /p' "$1" | sed '$d; s/^Defect: //' | tr '\n' ' ' | sed 's/ $//'; }

declare -A tests # package -> |-separated test names
caught=0
missed=()
for p in "${patches[@]}"; do
	name=$(basename "$p" .patch)
	read -r pkg test <<<"$(header "$p" Test)"
	expect=$(header "$p" Expect)
	if [ -z "$pkg" ] || [ -z "$test" ] || [ -z "$expect" ]; then
		echo "== $name: the header needs 'Test: <package> <TestName>' and 'Expect: <phrase>'"
		missed+=("$name (bad header)")
		continue
	fi
	case "|${tests[$pkg]:-}|" in *"|$test|"*) ;; *) tests[$pkg]="${tests[$pkg]:+${tests[$pkg]}|}$test" ;; esac
	git -C "$tree" checkout -q -- .
	echo "== $name: $(defect "$p")"
	if ! git -C "$tree" apply "$p"; then
		echo "   the patch no longer applies to HEAD: write it again against today's code"
		missed+=("$name (does not apply)")
		continue
	fi
	log="$work/$name.log"
	start=$(date +%s)
	(cd "$tree" && go test -count=1 -run "^${test}\$" "$pkg") >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	if [ $rc -eq 0 ]; then
		if grep -aq -- '--- SKIP' "$log"; then
			echo "   $test SKIPPED with the defect back (${secs}s): not shown"
			grep -a -A2 -- '--- SKIP' "$log" | sed 's/^/   | /'
		else
			echo "   $test PASSED with the defect back (${secs}s): the test does not catch it"
		fi
		missed+=("$name")
	elif grep -aqF -- "$expect" "$log"; then
		echo "   $test fails with the defect back, as it should (${secs}s):"
		grep -aF -m 2 -- "$expect" "$log" | cut -c1-300 | sed 's/^[[:space:]]*/   | /'
		caught=$((caught + 1))
	else
		echo "   $test fails with the defect back (${secs}s), but not with \"$expect\": a build error or another failure"
		tail -n 25 "$log" | sed 's/^/   | /'
		missed+=("$name (failed for another reason)")
	fi
done

git -C "$tree" checkout -q -- .
echo "== the same tests on HEAD, unpatched"
ok=1
for pkg in "${!tests[@]}"; do
	if (cd "$tree" && go test -count=1 -run "^(${tests[$pkg]})\$" -v "$pkg") >"$work/head.log" 2>&1; then
		echo "   $pkg: $(grep -ac -- '^--- PASS' "$work/head.log") passed (${tests[$pkg]})"
	else
		echo "   $pkg FAILED on HEAD:"
		grep -aE -- '^(--- FAIL|FAIL|ok)|_test.go:[0-9]+:' "$work/head.log" | head -n 30 | sed 's/^/   | /'
		ok=0
	fi
done

echo "defects: ${caught} of ${#patches[@]} defects put back were caught by their tests"
if [ ${#missed[@]} -gt 0 ]; then
	printf '   not shown: %s\n' "${missed[@]}"
	exit 1
fi
[ $ok -eq 1 ] || exit 1
