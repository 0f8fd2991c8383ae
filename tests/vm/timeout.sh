# shellcheck shell=bash
# test_timeout NAME: the timeout of tests/vm/guest/NAME.sh in seconds:
# $PB_TEST_TIMEOUT (600), times the factor of a "# timeout: FACTOR" line in
# the test, for one that repeats runs at random (rdma) and so varies more.
# Sourced by tests/vm/run.sh, which fails a test that took more than a
# third of it, and by the guest's init, which kills a test after it.
test_timeout() {
	local f

	f=$(sed -n 's/^# timeout: \([0-9.]*\)$/\1/p' "$PB_REPO/tests/vm/guest/$1.sh" 2> /dev/null)
	awk -v t="${PB_TEST_TIMEOUT:-600}" -v f="${f:-1}" 'BEGIN { printf "%d\n", t * f }'
}
