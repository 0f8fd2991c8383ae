# SPDX-License-Identifier: GPL-2.0
# The checks of a host test, sourced: one line a check, "ok: WHAT" or
# "FAIL: WHAT", and the summary "NAME: N passed, N failed".
pass=0
failed=0

ok() {
	echo "ok: $*"
	pass=$((pass + 1))
}

bad() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

# check DESCRIPTION COMMAND...: ok if COMMAND succeeds.
check() {
	local what=$1

	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

# summary NAME: the summary line, and exit: 1 if a check failed.
summary() {
	echo "$1: $pass passed, $failed failed"
	exit $((failed > 0))
}
