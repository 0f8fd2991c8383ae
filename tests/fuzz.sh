#!/bin/bash
# Fuzz the policy parser for a bounded time (PB_FUZZ_SECONDS, default 60),
# starting from the corpus kept in tests/fuzz/corpus.  New inputs go to a
# scratch directory; a crash, leak, hang or sanitizer report fails.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
seconds=${PB_FUZZ_SECONDS:-60}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$repo/build/fuzz"
"$repo/build/tests/fuzz_policy" -max_total_time="$seconds" -timeout=5 \
	-rss_limit_mb=2048 -print_final_stats=1 \
	-dict="$repo/tests/fuzz/policy.dict" \
	-artifact_prefix="$repo/build/fuzz/" \
	"$scratch" "$repo/tests/fuzz/corpus/policy" > "$scratch/log" 2>&1
rc=$?
grep -E '^(Done|stat::number_of_executed_units)' "$scratch/log"
if [ "$rc" != 0 ]; then
	echo "FAIL: the fuzzer stopped with status $rc; its report:"
	tail -n 40 "$scratch/log" | sed 's/^/    /'
	ls "$repo"/build/fuzz/ 2>/dev/null | sed 's/^/    artifact: build\/fuzz\//'
fi
exit $rc
