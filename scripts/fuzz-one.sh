#!/bin/sh
# fuzz-one.sh GO PKG FUZZNAME FUZZTIME: fuzz one target for FUZZTIME.
#
# Go 1.26's fuzz coordinator can end a duration-bounded run with a bare
# "context deadline exceeded" failure at the deadline, with no failing
# input (golang/go#75804, fixed in Go 1.27). Such a run found nothing: it
# is run once more, and reported as a failure only if that fails too. Any
# other failure (a failing input written, a panic, a t.Error) fails at
# once.
set -u
go=$1 pkg=$2 fn=$3 fuzztime=$4
out=$(mktemp -t garage-web-fuzz.XXXXXX)
trap 'rm -f "$out"' EXIT
for attempt in 1 2; do
	if "$go" test -run '^$' -fuzz "^$fn\$" -fuzztime "$fuzztime" "$pkg" >"$out" 2>&1; then
		cat "$out"
		exit 0
	fi
	if [ "$attempt" = 1 ] && grep -q 'context deadline exceeded' "$out" &&
		! grep -q -e 'Failing input written' -e 'panic:' -e '_test\.go:[0-9]' "$out"; then
		grep -v -e '^--- FAIL:' -e '^FAIL' -e '^exit status' "$out"
		echo "fuzz: $fn ended at its deadline with Go's coordinator race (golang/go#75804), no failing input; running it again"
		continue
	fi
	cat "$out"
	exit 1
done
