#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dist/prometheus/pinbounce.rules.yml: promtool check rules, its unit tests
# (tests/prometheus/pinbounce.rules.test.yml: the first exposure fires,
# a pass-through to a disk that needs stable writes does and one to another
# disk does not, a spent budget, the exporter gone or never scraped), and
# every metric it names is one the exporter serves (the source's families).
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/checks.sh"
rules=$repo/dist/prometheus/pinbounce.rules.yml

command -v promtool > /dev/null || { bad "prom-rules: no promtool"; summary prom-rules; }
out=$(promtool check rules "$rules" 2>&1)
check "promtool check rules: $(echo "$out" | tail -n1 | sed 's/^ *//')" \
	grep -q SUCCESS <<< "$out"
out=$(cd "$repo/tests/prometheus" && promtool test rules pinbounce.rules.test.yml 2>&1)
check "promtool test rules: $(echo "$out" | tr '\n' ' ' | sed 's/  */ /g')" \
	grep -q SUCCESS <<< "$out"
# the families the exporter serves, from its sources
families=$(grep -ho '"pinbounce_[a-z_0-9]*' "$repo"/user/observe/*.c | tr -d '"' | sort -u)
families+=$'\n'$(sed -n 's/^\tX(\([a-z_]*\),.*/pinbounce_\1_total/p' "$repo/include/pb_counters.h")
for m in $(grep -oP '(?<![:a-z_])pinbounce_[a-z_0-9]*' "$rules" | sed 's/_\(bucket\|sum\|count\)$//' | sort -u); do
	check "the rules' $m is a metric the exporter serves" grep -qx "$m" <<< "$families"
done
summary prom-rules
