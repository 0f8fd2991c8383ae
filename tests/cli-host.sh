#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The command line against what the machine or a user hands it, on this
# host (root): names that hold terminal controls or invalid UTF-8, output
# files that are devices, FIFOs, links or directories, intervals too short
# to be meant, status run by another user, and a lock whose taker is gone.
#
#   tests/cli-host.sh [PINBOUNCE]    (default: build/san/pinbounce)
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/checks.sh"
pb=$(realpath "${1:-$repo/build/san/pinbounce}")
work=$(mktemp -d /tmp/pb-cli-host.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# Whether the files hold JSON documents of schema pinbounce/1.
schema() {
	python3 "$repo/tests/schema-check.py" "$@" > /dev/null 2>&1
}

# Whether file $1 holds no byte a terminal acts on or cannot decode: no C0
# control but newline, no DEL, no C1 control, no character that reorders
# the text after it, only valid UTF-8.
clean_text() {
	python3 - "$1" 2> /dev/null << 'PY'
import sys
b = open(sys.argv[1], "rb").read()
t = b.decode("utf-8")  # raises on invalid UTF-8
bidi = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
bad = [c for c in t if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f or c in bidi]
sys.exit(1 if bad else 0)
PY
}

# --- Names from a policy file and the command line, escaped -------------
printf 'rule a dev \xc2\x9b\xff action bounce\n' > dev-c1.policy
printf 'rule a dev 8:\xc2\x9b\x1b[2J action bounce\n' > devno-c1.policy
printf 'rule a dev sdb,caf\xc3\xa9 action bounce\n' > dev-utf8.policy
escaped() {
	local what=$1 want=$2 status
	shift 2
	"$pb" "$@" > out 2>&1
	status=$?
	if [ "$status" != 0 ] && clean_text out && grep -qF -- "$want" out; then
		ok "$what: status $status, escaped as $want"
	else
		bad "$what: status $status, said: $(od -c out | head -8)"
	fi
}
escaped "policy check, a dev of C1 and invalid UTF-8" "got '\\xc2\\x9b\\xff'" \
	policy check --syntax dev-c1.policy
escaped "policy check, a MAJOR:MINOR with C1 and ESC" "got '8:\\xc2\\x9b\\x1b[2J'" \
	policy check --syntax devno-c1.policy
escaped "stats -d, a MAJOR:MINOR with C1" "'8:\\xc2\\x9b' is no device number" \
	stats -d $'8:\xc2\x9b'
escaped "stats -d, a name with C1, ESC and invalid UTF-8" \
	"no block device '\\xc2\\x9b\\x1b[2J\\xfe'" stats -d $'\xc2\x9b\x1b[2J\xfe'
escaped "stats -d, a name that reverses what follows it (U+202E)" \
	"no block device 'a\xe2\x80\xaeb'" stats -d $'a\u202eb'
escaped "stats -d, a name holding the text \\x1b: its backslash escaped" \
	"no block device 'a\x5cx1b'" stats -d 'a\x1b'
# A newline in a name cannot forge a line of its own.
escaped "stats -d, a name with a newline and a forged line" \
	"no block device 'x\x0aWarning all is well'" stats -d $'x\nWarning all is well'
check "stats -d, a name with a newline: one line said" [ "$(wc -l < out)" = 1 ]
escaped "stats, an option with a newline: the error on one line, then usage" \
	"unknown option '--x\x0ausage: forged'" stats $'--x\nusage: forged'
check "stats, an option with a newline: two lines, the second the usage" \
	bash -c "[ \$(wc -l < out) = 2 ] && sed -n 2p out | grep -q '^usage: pinbounce stats'"
# printable UTF-8 is left alone
"$pb" policy check --syntax dev-utf8.policy > out 2>&1
check "policy check: printable UTF-8 passes as it is" grep -q $'caf\xc3\xa9' out

# --- Output files: trace --json ------------------------------------------
# (its own device node: the host's /dev/null is not put at risk)
mknod -m 666 null c 1 3
mkfifo fifo
echo keep > regular
ln -s null link-dev
ln -s regular link-reg
mkdir dir
mkdir locked && chmod 755 locked

trace_json() {
	"$pb" trace --json "$1" -- true > stdout 2> stderr
}
no_tmp() {
	! ls -a "$work" "$work/dir" "$work/locked" | grep -q '\.tmp\.'
}

trace_json null
status=$?
check "--json to a character device: status 0, still a character device ($status)" \
	test "$status" = 0 -a -c null -a ! -L null
trace_json -
status=$?
check "--json -: the report on standard output, no file '-' ($status)" \
	eval 'test "$status" = 0 -a ! -e ./- && schema stdout'
timeout 20 "$pb" trace --json /dev/stdout -- true > stdout-file 2> stderr
status=$?
check "--json /dev/stdout with standard output a file: the report in it, /dev/stdout kept ($status)" \
	eval 'test "$status" = 0 -a -L /dev/stdout && schema stdout-file'
timeout 20 cat fifo > from-fifo &
reader=$!
timeout 20 "$pb" trace --json fifo -- true > /dev/null 2> stderr
status=$?
wait "$reader"
check "--json to a FIFO: status 0, its reader got the report, still a FIFO ($status)" \
	eval 'test "$status" = 0 -a -p fifo && schema from-fifo'
trace_json link-dev
status=$?
check "--json to a link to a character device: followed, the link kept ($status)" \
	test "$status" = 0 -a -L link-dev -a -c null
trace_json link-reg
status=$?
check "--json to a link to a regular file: refused, link and file kept ($status)" \
	eval 'test "$status" != 0 -a -L link-reg && test "$(cat regular)" = keep &&
	      grep -q "cannot write link-reg: a symbolic link to a regular file" stderr'
trace_json dir
status=$?
check "--json to a directory: refused, named ($status)" \
	eval 'test "$status" != 0 -a -d dir && grep -q "cannot write dir: it is a directory" stderr'
trace_json "$work/nodir/report.json"
status=$?
check "--json in a missing directory: refused, named ($status)" \
	eval 'test "$status" != 0 && grep -q "cannot write $work/nodir/report.json" stderr'
setpriv --reuid=65534 --regid=65534 --clear-groups "$pb" trace --json locked/r.json -- \
	true > /dev/null 2> stderr
status=$?
check "--json where the user cannot write: refused, named ($status)" \
	eval 'test "$status" != 0 -a ! -e locked/r.json &&
	      grep -q "cannot write locked/r.json: .*Permission denied" stderr'
trace_json regular
status=$?
check "--json to a regular file: replaced whole, mode 0644 ($status)" \
	eval 'test "$status" = 0 -a ! -L regular && test "$(stat -c %a regular)" = 644 &&
	      schema regular'
check "--json: no temporary left behind" no_tmp

# --- Intervals ----------------------------------------------------------
for args in "stats 1e-300" "hist 0.05 2" "pins 0.09" "stats 0" "pins 1e-300 1"; do
	# bounded: a command that takes the interval polls in a busy loop
	# shellcheck disable=SC2086
	timeout 5 "$pb" $args 2>&1 | head -c 4096 > out
	status=${PIPESTATUS[0]}
	check "$args: refused, status 2 ($status)" \
		eval 'test "$status" = 2 && grep -q "the interval must be a number of seconds from 0.1" out'
done
"$pb" stats 0.1 1 > out 2>&1
status=$?
check "stats 0.1 1: 0.1 s is taken ($status)" test "$status" = 0
check "stats 0.1 1: with a count, no 'Tracing...' line" eval '! grep -q "^Tracing" out'

# A watch without a count says, as biolatency does, that it runs until
# interrupted: on stderr, in text mode only.
for args in "stats" "hist 0.2" "pins" "pins 0.2" "-j stats"; do
	# shellcheck disable=SC2086
	timeout --preserve-status -s INT 1 "$pb" $args > out 2> err
	status=$?
	if [ "$args" = "-j stats" ]; then
		check "$args: no 'Tracing...' line in JSON mode ($status)" \
			eval 'test "$status" = 0 && ! grep -q Tracing err out'
	else
		check "$args: 'Tracing... Hit Ctrl-C' on stderr, not stdout ($status)" \
			eval 'test "$status" = 0 && grep -q "^Tracing .*\.\.\. Hit Ctrl-C to" err &&
			      ! grep -q Tracing out'
	fi
done

# --- Help and options after the command ----------------------------------
# Every command's help, asked for, goes to stdout with status 0 (as
# bpftool's and ip's do); without a command, the help is an error.
for args in "help" "--help" "pins help" "stats help" "hist help" "top help" "export help" \
	"status help" "detach help" "batch help" "trace help" "policy help" "pins --help" \
	"stats --help" "hist -h" "top --help" "export --help" "trace --help" "policy --help" \
	"policy load --help" "policy check -h" "policy show --help"; do
	# shellcheck disable=SC2086
	timeout 5 "$pb" $args > out 2> err
	status=$?
	want=${args% *}
	[ "$want" = "$args" ] && want=
	check "$args: usage on stdout, status 0 ($status)" \
		eval 'test "$status" = 0 && ! test -s err && grep -q "^Usage: pinbounce $want" out'
done
timeout 5 "$pb" > out 2> err
status=$?
check "no command: the help on stderr, status 2 ($status)" \
	eval 'test "$status" = 2 && ! test -s out && grep -q "^Usage: pinbounce" err'
# "help" that may be a file or a rule name is one.
echo 'default bounce' > help
timeout 5 "$pb" policy check --syntax help > out 2>&1
check "policy check --syntax help: the file named help is checked" grep -q "default bounce" out
rm -f help

# -j, -p and --max-rows after the command, as bpftool takes them.
for args in "stats -j 0.1 1" "stats 0.1 1 -j" "hist -m -p 0.1 1" "pins 0.1 1 --json" \
	"stats --max-rows 64 -j 0.1 1" "stats 0.1 --max-rows=64 1 -j"; do
	# shellcheck disable=SC2086
	timeout 10 "$pb" $args > out 2> err
	status=$?
	check "$args: JSON, status 0 ($status)" \
		eval 'test "$status" = 0 && python3 -c "import json, sys; json.loads(open(\"out\").read())"'
done
timeout 10 "$pb" stats 0.1 1 --max-rows 3 > out 2>&1
status=$?
check "stats ... --max-rows 3: refused, status 2 ($status)" \
	eval 'test "$status" = 2 && grep -q "max-rows: expected a number of rows from 16" out'
# trace: its --json FILE is its own, and its command's -j is the command's.
timeout 10 "$pb" trace --json trace.json -j -- echo -j > out 2> err
status=$?
check "trace --json FILE -j -- echo -j: the report in FILE, -j echoed ($status)" \
	eval 'test "$status" = 0 && python3 -c "import json; json.load(open(\"trace.json\"))" &&
	      grep -qx -- -j out'
rm -f trace.json

# --- top on an 80x24 terminal ---------------------------------------------
# Every column and the whole keys line within 80 columns: the last title,
# BWRp99, and the last key, W:p99, whole (a line wider than the window is
# cut).  In tmux, as an operator's terminal; q ends it with status 0.
if command -v tmux > /dev/null; then
	sock=pb-top-$$
	tmux -L "$sock" new-session -d -s top -x 80 -y 24 \
		"TERM=screen $pb top 0.5; echo status=\$? > $PWD/top.status; sleep 30"
	for _ in $(seq 50); do
		tmux -L "$sock" capture-pane -p -t top > top.cap 2> /dev/null
		grep -q '^DEVICE' top.cap && grep -q 'total' top.cap && break
		sleep 0.2
	done
	tmux -L "$sock" send-keys -t top q
	for _ in $(seq 50); do [ -s top.status ] && break; sleep 0.1; done
	tmux -L "$sock" kill-server 2> /dev/null
	check "top at 80x24: the header's last column whole ($(grep '^DEVICE' top.cap))" \
		grep -q '^DEVICE .* BWRp99 *$' top.cap
	check "top at 80x24: the keys line whole ($(sed -n 2p top.cap))" \
		eval 'sed -n 2p top.cap | grep -q "W:p99 *$"'
	check "top: q, status 0 ($(cat top.status 2> /dev/null))" grep -qx status=0 top.status
else
	bad "top at 80x24: no tmux"
fi

# --- status: what works on this kernel -----------------------------------
# Found by loading the programs: on this host's kernel (no series) no
# bounce, exposure and write latency yes, and pin tracking as pins finds
# it (this project's 6.18 host refuses programs on pin_user_pages*()).
"$pb" status > out 2>&1
status=$?
timeout --preserve-status -s INT 1 "$pb" pins 0.2 1 > pins.out 2>&1
check "status: what works, status 0 ($status)" \
	eval 'test "$status" = 0 && grep -q "^on this kernel:" out &&
	      grep -q "^  bounce: *no: the kernel has no bounce series" out &&
	      grep -q "^  exposure: *yes" out && grep -q "^  write latency: *yes" out'
if why=$(sed -n 's/^[0-9:]*  unavailable: pin tracking: //p' pins.out | head -1) && [ -n "$why" ]; then
	check "status: pin tracking no, for the reason pins gives ($why)" \
		grep -qF "  pin tracking:  no: $why" out
else
	check "status: pin tracking yes, as pins finds it" grep -q "^  pin tracking: *yes" out
fi
"$pb" -j status > out 2>&1
check "status -j: works and the reasons, valid pinbounce/1" \
	eval 'python3 "$repo/tests/schema-check.py" out > /dev/null &&
	      python3 -c "import json, sys; j = json.load(open(\"out\"))
w = j[\"works\"]
sys.exit(not (w[\"bounce\"] is False and w[\"exposure\"] and w[\"write_latency\"] and
	\"bounce\" in j[\"unavailable\"] and
	(w[\"pin_tracking\"] or \"pin_tracking\" in j[\"unavailable\"])))"'

# --- status as a user other than root ------------------------------------
nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$pb" "$@"
}
nobody status > out 2>&1
check "status as nobody: what is attached is unknown, not 'nothing'" \
	eval 'grep -q "^attached: *unknown" out && grep -q "^policy: *unknown" out &&
	      ! grep -q "nothing\|generation 0" out && grep -q "^  unknown: only root can load" out'
nobody -j status > out 2>&1
check "status -j as nobody: attached, generation and works null, the reasons given" \
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1]))
assert j["attached"] is None and j["generation"] is None and j["rules"] is None, j
assert "root" in j["unavailable"]["attached"], j
assert j["works"] is None and "root" in j["unavailable"]["works"], j' out
check "status -j as nobody: valid pinbounce/1" schema out

# --- The lock's holder ----------------------------------------------------
# In a mount namespace with a BPF filesystem of its own: flock(1) takes the
# lock on a directory the shell opened and exits; the shell, now sleep,
# holds it.  /proc/locks still names flock(1).
unshare -m --propagation private bash -c '
	mount -t bpf none /sys/fs/bpf || exit 1
	mkdir -m 0700 /sys/fs/bpf/pinbounce
	(exec 9< /sys/fs/bpf/pinbounce; flock -x 9; echo "$BASHPID" > holder; exec sleep 30) &
	sleep 0.5
	"$1" detach > lock.out 2>&1
	echo $? > lock.status
	kill %1' lock "$pb"
holder=$(cat holder 2> /dev/null)
check "a lock whose taker is gone: the process that holds it is named ($(cat lock.out))" \
	eval 'test "$(cat lock.status)" = 1 &&
	      grep -q "is locked by pid $holder (sleep); pid [0-9]*, which took the lock, no longer holds it" lock.out'

summary cli-host
