#!/bin/bash
# `make install` into a scratch root, checked as a distribution would:
# the binaries run; the man pages are installed, clean under `mandoc -T
# lint`, render with `man -l` and document every command, subcommand,
# option, policy clause, action, flag and unit the sources have (read from
# their tables, so that a command added without its documentation fails);
# the bash completion, in a real bash, offers them; the systemd units pass
# `systemd-analyze verify`; the example policy parses and a second install
# keeps the one in place.
#
#   tests/install.sh
#
# Needs make, mandoc, man (man-db), bash-completion and systemd-analyze.
# Builds build/pinbounce and build/pinforce if they are out of date.
# Prints "ok: ..." or "FAIL: ..." per check and ends with
# "install: N passed, N failed"; exits 1 if any failed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
prefix=/usr
. "$repo/tests/checks.sh"

for tool in make mandoc man systemd-analyze; do
	if ! command -v "$tool" > /dev/null; then
		bad "install: no $tool"
		summary install
	fi
done
bash_completion=/usr/share/bash-completion/bash_completion
if [ ! -r "$bash_completion" ]; then
	bad "install: no $bash_completion (apt-get install bash-completion)"
	summary install
fi

# --- make install -------------------------------------------------------

if ! make -s --no-print-directory install DESTDIR="$root" PREFIX="$prefix" \
	> "$tmp/make.out" 2>&1; then
	bad "make install DESTDIR=... PREFIX=$prefix:"
	sed 's/^/    /' "$tmp/make.out"
	summary install
fi
ok "make install DESTDIR=... PREFIX=$prefix"

sbin=$root$prefix/sbin
man5=$root$prefix/share/man/man5
man8=$root$prefix/share/man/man8
compdir=$root$prefix/share/bash-completion/completions
unitdir=$root$prefix/lib/systemd/system
pb=$sbin/pinbounce

# --- what the sources dispatch and accept -------------------------------

# table FILE START: the .name of each command of the table from line
# /START/ to its {} end, e.g. the commands of main.c, one a line, and
# "help", which cmd_select() takes in every table.
table() {
	sed -n "/$2/,/^\t{},/p" "$1" | grep -o '\.name = "[a-z-]*"' | sed 's/.*"\(.*\)"/\1/'
	echo help
}

cli=user/cli
pol=user/policy/policy.c
mapfile -t commands < <(table "$cli/main.c" 'main_cmds\[\] = {')
mapfile -t policy_cmds < <(table "$cli/policy_cmd.c" 'struct cmd cmds\[\] = {')
mapfile -t global_opts < <(sed -n '/struct option opts\[\] = {/,/{ NULL/p' "$cli/main.c" |
	grep -o '{ "[a-z-]*"' | sed 's/{ "\(.*\)"/--\1/')
mapfile -t check_opts < <(grep -o 'strcmp(argv\[0\], "--[a-z]*")' "$cli/policy_cmd.c" |
	grep -o -- '--[a-z]*' | sort -u)
mapfile -t export_opts < <(grep -o '"--[a-z]*"' "$cli/export_cmd.c" | tr -d '"' | sort -u)
mapfile -t trace_opts < <(grep -o 'strcmp(opt, "[^"]*")' "$cli/trace_cmd.c" |
	grep -o '"[^"]*"' | tr -d '"')
# hist takes -d and -m, stats -d alone, top -d
mapfile -t hist_opts < <(grep -o 'strcmp(argv\[0\], "-[a-z]")' "$cli/stats_cmd.c" |
	grep -o -- '-[a-z]' | sort -u)
mapfile -t top_opts < <(grep -o 'strcmp(argv\[0\], "-[a-z]")' "$cli/top_cmd.c" |
	grep -o -- '-[a-z]' | sort -u)
mapfile -t clauses < <(grep -o '{ "[a-z]*", SEEN_' "$pol" | sed 's/{ "\(.*\)", SEEN_/\1/')
mapfile -t actions < <(sed -n '/action_names\[\] = {/,/};/p' "$pol" | grep -o '"[a-z]*"' |
	tr -d '"')
mapfile -t flags < <(grep -o '{ "[a-z]*", PB_FLAG_' "$pol" | sed 's/{ "\(.*\)", PB_FLAG_/\1/')
mapfile -t units < <(sed -n '/^static int parse_size_str/,/^}/p' "$pol" |
	grep -o '{ "[A-Za-z]*", ' | sed 's/{ "\(.*\)", /\1/')
default_listen=$(sed -n 's/^#define DEFAULT_LISTEN[[:space:]]*"\(.*\)"/\1/p' "$cli/export_cmd.c")

# read_from_sources NAME COUNT: NAME, read from the sources, has COUNT entries, not none.
read_from_sources() {
	[ "$2" -gt 0 ] || bad "sources: cannot read the $1 from user/ (has its table changed form?)"
}

read_from_sources commands "${#commands[@]}"
read_from_sources policy_cmds "${#policy_cmds[@]}"
read_from_sources global_opts "${#global_opts[@]}"
read_from_sources check_opts "${#check_opts[@]}"
read_from_sources export_opts "${#export_opts[@]}"
read_from_sources trace_opts "${#trace_opts[@]}"
read_from_sources hist_opts "${#hist_opts[@]}"
read_from_sources top_opts "${#top_opts[@]}"
read_from_sources clauses "${#clauses[@]}"
read_from_sources actions "${#actions[@]}"
read_from_sources flags "${#flags[@]}"
read_from_sources units "${#units[@]}"
read_from_sources default_listen "${#default_listen}"
[ "$failed" = 0 ] || summary install
ok "sources: ${#commands[@]} commands, ${#policy_cmds[@]} policy subcommands, ${#clauses[@]} clauses"

# --- the binaries -------------------------------------------------------

for bin in pinbounce pinforce; do
	check "$prefix/sbin/$bin installed, mode 0755" \
		test -x "$sbin/$bin" -a "$(stat -c %a "$sbin/$bin" 2> /dev/null)" = 755
done
if out=$("$pb" --version 2>&1) && [[ $out == "pinbounce "* ]]; then
	pbversion=${out#pinbounce }
	pbversion=${pbversion%% *}
	ok "pinbounce --version: $out"
else
	bad "pinbounce --version: '$out'"
fi
if out=$("$pb" --help 2>&1) && [[ $out == *"Usage: pinbounce"* ]]; then
	ok "pinbounce --help"
else
	bad "pinbounce --help: '$out'"
fi
for cmd in "${commands[@]}"; do
	[ "$cmd" = help ] || [[ $out == *"$cmd"* ]] || bad "pinbounce --help does not name '$cmd'"
done
if out=$("$sbin/pinforce" --version 2>&1) && [ "$out" = "pinforce ${out#pinforce }" ] &&
	[ "${out#pinforce }" = "${pbversion:-}" ]; then
	ok "pinforce --version: $out, as pinbounce's"
else
	bad "pinforce --version: '$out' (pinbounce ${pbversion:-?})"
fi
if out=$("$sbin/pinforce" --help 2>&1) && [[ $out == "usage: pinforce"* ]]; then
	ok "pinforce --help: its usage, status 0"
else
	bad "pinforce --help: '$out'"
fi
# A bad command line prints the usage too, on stderr.
status=0
out=$("$sbin/pinforce" 2>&1) || status=$?
if [ "$status" = 2 ] && [[ $out == "usage: pinforce"* ]]; then
	ok "pinforce without arguments: its usage, status 2"
else
	bad "pinforce without arguments: status $status, '$out'"
fi

# --- man pages ----------------------------------------------------------

pages=("$man8/pinbounce.8" "$man8/pinforce.8" "$man5/pinbounce.policy.5")
for page in "${pages[@]}"; do
	name=${page#"$root"}
	if [ ! -f "$page" ]; then
		bad "$name: not installed"
		continue
	fi
	check "$name: mode 0644" test "$(stat -c %a "$page")" = 644
	if out=$(mandoc -T lint "$page" 2>&1) && [ -z "$out" ]; then
		ok "$name: mandoc -T lint clean"
	else
		bad "$name: mandoc -T lint: $out"
	fi
	if out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 > "$page.txt") && [ -z "$out" ] &&
		grep -q '^NAME' "$page.txt"; then
		ok "$name: man -l renders it"
	else
		bad "$name: man -l: ${out:-no NAME section}"
	fi
done
compressed=$(find "$root$prefix/share/man" -name '*.gz' | wc -l)
check "man pages all uncompressed (the packager compresses)" test "$compressed" = 0

# tags PAGE: the tags of PAGE's tagged paragraphs (.TP) and its section and
# subsection titles as they read, fonts and quotes taken out, one a line:
# '.BR 128+ \fIN\fR' is "128+N", '.B policy show' "policy show".
tags() {
	awk '
	function text(line,    macro, args, out, n, a, q, c, i) {
		if (line !~ /^\./)
			return line
		macro = line
		sub(/ .*/, "", macro)
		args = substr(line, length(macro) + 2)
		# the arguments, "quoted" or not
		n = 0
		while (args != "") {
			sub(/^ +/, "", args)
			if (args == "")
				break
			if (substr(args, 1, 1) == "\"") {
				args = substr(args, 2)
				i = index(args, "\"")
				a[++n] = i ? substr(args, 1, i - 1) : args
				args = i ? substr(args, i + 1) : ""
			} else {
				i = index(args, " ")
				a[++n] = i ? substr(args, 1, i - 1) : args
				args = i ? substr(args, i + 1) : ""
			}
		}
		out = ""
		# .BR, .IR, ... alternate fonts and join their arguments;
		# .B, .I, .SH, .SS join them with blanks
		for (i = 1; i <= n; i++)
			out = out (i > 1 && macro !~ /^\.[BIR][BIR]$/ ? " " : "") a[i]
		return out
	}
	prev == ".TP" || /^\.S[HS] / { print text($0) }
	{ prev = $0 }' "$1" |
		sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\(aq//g' \
			-e 's/\\(dq//g' -e 's/  */ /g'
}

# has_tag PAGE REGEX: a tag of PAGE matches REGEX (extended).
has_tag() {
	tags "$1" | grep -Eq -- "$2"
}

# man8_covers PAGE: PAGE documents every command, subcommand and option;
# prints what it does not.
man8_covers() {
	local page=$1 cmd opt missing=""

	for cmd in "${commands[@]}"; do
		has_tag "$page" "^$cmd\$" || missing+=" command:$cmd"
	done
	for cmd in "${policy_cmds[@]}"; do
		has_tag "$page" "^policy $cmd( |\$)" || missing+=" policy:$cmd"
	done
	for opt in "${global_opts[@]}" "${check_opts[@]}" "${export_opts[@]}" "${trace_opts[@]}" \
		"${hist_opts[@]}" "${top_opts[@]}"; do
		has_tag "$page" "(^|[][ ,|])$opt([][ ,|]|\$)" || missing+=" option:$opt"
	done
	for opt in 0 1 2 124 125 126 127 '128\+N' 'EXIT STATUS' 'FILES' \
		/sys/fs/bpf/pinbounce /etc/pinbounce/pinbounce.policy; do
		has_tag "$page" "(^|[ ,])$opt([ ,]|\$)" || missing+=" tag:$opt"
	done
	echo "$missing"
}

page8=$man8/pinbounce.8
if [ -f "$page8" ]; then
	missing=$(man8_covers "$page8")
	if [ -z "$missing" ]; then
		ok "pinbounce.8: every command, policy subcommand, option, exit status and file"
	else
		bad "pinbounce.8 does not document:$missing"
	fi
	see_also=$(sed -n '/^\.SH SEE ALSO/,$p' "$page8")
	if [[ $see_also == *"pinbounce.policy (5)"* && $see_also == *"pinforce (8)"* ]]; then
		ok "pinbounce.8: SEE ALSO pinbounce.policy(5), pinforce(8)"
	else
		bad "pinbounce.8: SEE ALSO lacks pinbounce.policy(5) or pinforce(8)"
	fi
	# The check above must see a subcommand go: drop 'policy del' and look.
	grep -v '^\.BI "policy del "' "$page8" > "$tmp/nodel.8" || true
	if [[ $(man8_covers "$tmp/nodel.8") == *"policy:del"* ]]; then
		ok "the coverage check finds 'policy del' gone from a copy of pinbounce.8"
	else
		bad "the coverage check misses 'policy del' gone from pinbounce.8"
	fi
fi

page5=$man5/pinbounce.policy.5
if [ -f "$page5" ]; then
	missing=""
	for w in "${clauses[@]}" "${actions[@]}"; do
		has_tag "$page5" "^$w( |\$)" || missing+=" $w"
	done
	for w in "${units[@]}"; do
		has_tag "$page5" "(^|[ ,])$w([ ,]|\$)" || missing+=" unit:$w"
	done
	for w in "${flags[@]}"; do
		grep -qw -- "$w" "$page5.txt" || missing+=" flag:$w"
	done
	for w in SYNTAX CLAUSES ACTIONS LIMITS EXAMPLES; do
		has_tag "$page5" "^$w\$" || missing+=" section:$w"
	done
	if [ -z "$missing" ]; then
		ok "pinbounce.policy.5: every clause, action, flag and unit"
	else
		bad "pinbounce.policy.5 does not document:$missing"
	fi
fi

# --- bash completion ----------------------------------------------------

comp=$compdir/pinbounce
check "completion installed as share/bash-completion/completions/pinbounce" test -f "$comp"
check "completion for pinforce: a link to it" \
	test -L "$compdir/pinforce" -a "$(readlink "$compdir/pinforce" 2> /dev/null)" = pinbounce

# completions [--bare] SCRIPT LINE: what SCRIPT's completion offers for LINE,
# the cursor at its end, in a bash with bash-completion loaded (without,
# with --bare), one word a line.
completions() {
	local helpers=$bash_completion

	if [ "$1" = --bare ]; then
		helpers=/dev/null
		shift
	fi
	PATH="$sbin:$PATH" bash --norc --noprofile -c '
		set -u
		source "$1"
		source "$2"
		line=$3
		read -r -a COMP_WORDS <<< "$line"
		[[ $line == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$line
		COMP_POINT=${#line}
		COMPREPLY=()
		fn=$(complete -p "${COMP_WORDS[0]}" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
		"$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" \
			"${COMP_WORDS[COMP_CWORD - 1]}" 2> /dev/null
		printf "%s\n" "${COMPREPLY[@]}"
	' complete "$helpers" "$@"
}

# offers [--bare] LINE WORD...: the completion of LINE offers every WORD.
offers() {
	local bare=() line got w missing=""

	if [ "$1" = --bare ]; then
		bare=(--bare)
		shift
	fi
	line=$1
	shift
	got=$(completions "${bare[@]}" "$comp" "$line")
	for w in "$@"; do
		grep -qxF -- "$w" <<< "$got" || missing+=" $w"
	done
	local what

	what="completion${bare[*]:+ without bash-completion}: '${line}<TAB>' offers $*"
	if [ -z "$missing" ]; then
		ok "$what"
	else
		bad "$what: not$missing (got: $(echo "$got" | tr '\n' ' '))"
	fi
}

if [ -f "$comp" ]; then
	if out=$(bash -n "$comp" 2>&1); then ok "completion: bash -n"; else bad "completion: $out"; fi
	offers "pinbounce " "${commands[@]}"
	offers "pinbounce -" "${global_opts[@]}"
	offers "pinbounce policy " "${policy_cmds[@]}"
	offers "pinbounce policy add r1 d" dev
	offers "pinbounce policy add r1 " "${clauses[@]}"
	offers "pinbounce policy add r1 dev x action " "${actions[@]}"
	offers "pinbounce policy add r1 action bounce then " "${actions[@]}"
	offers "pinbounce policy add r1 flags " "${flags[@]}"
	offers "pinbounce policy check " "${check_opts[@]}" -
	offers "pinbounce export -" "${export_opts[@]}"
	offers "pinbounce export --listen " "$default_listen"
	offers "pinbounce trace -" "${trace_opts[@]}"
	offers "pinbounce trace --expect bounced_" bounced_pages bounced_pages_policy
	offers "pinbounce stats -" "${top_opts[@]}"
	offers "pinbounce hist -" "${hist_opts[@]}"
	offers "pinbounce top -" "${top_opts[@]}"
	offers "pinbounce batch " file
	offers "pinforce " bounce passthrough
	offers "pinforce bounce " --
	disk=$( (find /sys/class/block/ -mindepth 1 -maxdepth 1 -printf '%f\n' 2> /dev/null || true) |
		sort | head -n 1)
	if [ -n "$disk" ]; then
		offers "pinbounce policy add r1 dev " "$disk"
		offers "pinbounce policy add r1 dev $disk,${disk:0:1}" "$disk,$disk"
		offers "pinbounce stats -d " "$disk"
	fi
	byid=$( (find /dev/disk/by-id/ -mindepth 1 -maxdepth 1 2> /dev/null || true) | sort | head -n 1)
	[ -z "$byid" ] || offers "pinbounce policy add r1 dev /dev/disk/by-id/" "$byid"
	offers --bare "pinbounce " "${commands[@]}"
	offers --bare "pinbounce policy " "${policy_cmds[@]}"
	offers --bare "pinbounce policy add r1 d" dev
	# The check above must see a subcommand go: drop 'del' from a copy.
	sed 's/load check add del show clear help/load check add show clear help/' "$comp" \
		> "$tmp/nodel.bash"
	if cmp -s "$comp" "$tmp/nodel.bash"; then
		bad "completion: no list of policy subcommands to take 'del' out of"
	elif completions "$tmp/nodel.bash" "pinbounce policy " | grep -qx del; then
		bad "the completion check misses 'del' gone from a copy of the completion"
	else
		ok "the completion check finds 'del' gone from a copy of the completion"
	fi
fi

# --- systemd units ------------------------------------------------------

units=(pinbounce-policy.service pinbounce-exporter.service)
mkdir -p "$tmp/units"
for unit in "${units[@]}"; do
	file=$unitdir/$unit
	if [ ! -f "$file" ]; then
		bad "$prefix/lib/systemd/system/$unit: not installed"
		continue
	fi
	# what it runs, but the policy unit's condition (checked below)
	execs=$(grep -E '^Exec(Start|Reload|Stop)[A-Za-z]*=' "$file" | sed 's/^[^=]*=[-@:+!]*//' |
		cut -d' ' -f1 | sort -u)
	if [ "$execs" = "$prefix/sbin/pinbounce" ]; then
		ok "$unit: runs $prefix/sbin/pinbounce"
	else
		bad "$unit: runs '$(echo "$execs" | tr '\n' ' ')'"
	fi
	if grep -q '@[A-Z]*@' "$file"; then
		bad "$unit: a @PLACEHOLDER@ left: $(grep '@[A-Z]*@' "$file")"
	else
		ok "$unit: no @PLACEHOLDER@ left"
	fi
	# verify needs the binaries where ExecStart= says: here, under $root
	sed "s|$prefix/sbin/|$sbin/|g" "$file" > "$tmp/units/$unit"
done
policy_unit=$unitdir/pinbounce-policy.service
if [ -f "$policy_unit" ]; then
	missing=""
	for line in 'Type=oneshot' 'RemainAfterExit=yes' 'ConditionPathExists=/etc/pinbounce/pinbounce.policy' \
		'ExecCondition=/bin/grep -qE " blk_pin_bounce_decide$" /proc/kallsyms' \
		"ExecStart=$prefix/sbin/pinbounce policy load /etc/pinbounce/pinbounce.policy" \
		"ExecReload=$prefix/sbin/pinbounce policy load /etc/pinbounce/pinbounce.policy" \
		"ExecStop=$prefix/sbin/pinbounce detach" 'ReadWritePaths=/sys/fs/bpf' \
		'WantedBy=multi-user.target'; do
		grep -qxF -- "$line" "$policy_unit" || missing+=" '$line'"
	done
	if [ -z "$missing" ]; then
		ok "pinbounce-policy.service: loads, reloads and detaches the policy"
	else
		bad "pinbounce-policy.service lacks$missing"
	fi
fi
# On a kernel without the hook the policy unit is skipped, not failed: its
# ExecCondition= exits 1 (1 to 254 skip the unit), and 0 where the hook is.
if [ -f "$policy_unit" ]; then
	hook=$("$pb" -j status | python3 -c 'import json, sys; print(int(json.load(sys.stdin)["kernel_hook"]))')
	status=0
	/bin/grep -qE " blk_pin_bounce_decide$" /proc/kallsyms || status=$?
	check "pinbounce-policy.service: ExecCondition= exits $((1 - hook)) on this kernel (hook: $hook, got $status)" \
		[ "$status" = $((1 - hook)) ]
fi
exporter_unit=$unitdir/pinbounce-exporter.service
defaults=$root/etc/default/pinbounce-exporter
if [ -f "$exporter_unit" ]; then
	if grep -qxF "ExecStart=$prefix/sbin/pinbounce export \$PINBOUNCE_EXPORTER_ARGS" \
		"$exporter_unit" && grep -qxF 'Restart=on-failure' "$exporter_unit" &&
	   grep -qxF 'EnvironmentFile=-/etc/default/pinbounce-exporter' "$exporter_unit" &&
	   grep -qxF "Environment=\"PINBOUNCE_EXPORTER_ARGS=--listen $default_listen\"" \
		"$exporter_unit"; then
		ok "pinbounce-exporter.service: export \$PINBOUNCE_EXPORTER_ARGS from /etc/default/pinbounce-exporter, --listen $default_listen without it"
	else
		bad "pinbounce-exporter.service: $(grep -E '^(ExecStart|Environment)' "$exporter_unit")"
	fi
	check "/etc/default/pinbounce-exporter: --listen $default_listen (the command's default)" \
		bash -c ". '$defaults' && [ \"\$PINBOUNCE_EXPORTER_ARGS\" = '--listen $default_listen' ]"
fi
for f in README.md:README.md pinbounce-1.schema.json:doc/pinbounce-1.schema.json \
	examples/pinbounce.policy:dist/pinbounce.policy \
	examples/pinbounce.rules.yml:dist/prometheus/pinbounce.rules.yml \
	examples/pinbounce.json:dist/grafana/pinbounce.json; do
	check "the documentation: $prefix/share/doc/pinbounce/${f%%:*}" \
		cmp -s "$root$prefix/share/doc/pinbounce/${f%%:*}" "$repo/${f#*:}"
done
# PREFIX=/usr/local: its own etc, which the units name.
make -s --no-print-directory install DESTDIR="$tmp/local" PREFIX=/usr/local > "$tmp/make.out" 2>&1 ||
	bad "make install PREFIX=/usr/local: $(cat "$tmp/make.out")"
check "make install PREFIX=/usr/local: nothing in /etc, the policy in /usr/local/etc" \
	bash -c "[ ! -e '$tmp/local/etc' ] && [ -f '$tmp/local/usr/local/etc/pinbounce/pinbounce.policy' ] &&
		 [ -f '$tmp/local/usr/local/etc/default/pinbounce-exporter' ]"
check "make install PREFIX=/usr/local: the policy unit loads /usr/local/etc/pinbounce/pinbounce.policy" \
	grep -qx 'ExecStart=/usr/local/sbin/pinbounce policy load /usr/local/etc/pinbounce/pinbounce.policy' \
	"$tmp/local/usr/local/lib/systemd/system/pinbounce-policy.service"
# systemd-analyze security: what each unit's comment says it scores, and
# the policy unit (which a patched kernel runs at boot) below 2.0.
for unit in "${units[@]}"; do
	said=$(sed -n 's/^# systemd-analyze security: \([0-9.]*\)\..*/\1/p' "$unitdir/$unit")
	got=$(systemd-analyze security --offline=true --root="$root" "$unitdir/$unit" 2>&1 |
	      sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	check "$unit: systemd-analyze security $got, as its comment says (${said:-none})" \
		[ -n "$got" -a "$got" = "$said" ]
done
check "pinbounce-policy.service: exposure below 2.0" \
	python3 -c 'import sys; sys.exit(not float(sys.argv[1]) < 2.0)' \
	"$(systemd-analyze security --offline=true --root="$root" "$unitdir/pinbounce-policy.service" 2>&1 |
	   sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')"
# man: the Documentation= pages, found among those installed
if out=$(MANPATH="$root$prefix/share/man" SYSTEMD_LOG_COLOR=0 \
	systemd-analyze verify "${units[@]/#/$tmp/units/}" 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify ${units[*]}"
else
	bad "systemd-analyze verify ${units[*]}: $out"
fi

# --- the example policy -------------------------------------------------

policy=$root/etc/pinbounce/pinbounce.policy
if [ -f "$policy" ]; then
	if out=$("$pb" policy check --syntax "$policy" 2>&1); then
		ok "/etc/pinbounce/pinbounce.policy: policy check --syntax ($out)"
	else
		bad "/etc/pinbounce/pinbounce.policy: $out"
	fi
	# its commented-out rules are examples: they must parse too
	sed 's/^#rule /rule /' "$policy" > "$tmp/rules.policy"
	nrules=$(grep -c '^rule ' "$tmp/rules.policy" || true)
	if [ "$nrules" -gt 0 ] && out=$("$pb" policy check --syntax "$tmp/rules.policy" 2>&1); then
		ok "the example policy's $nrules commented-out rules parse"
	else
		bad "the example policy's commented-out rules ($nrules): $out"
	fi
	echo "# edited" >> "$policy"
	make -s --no-print-directory install DESTDIR="$root" PREFIX="$prefix" > "$tmp/make.out" 2>&1 ||
		true
	check "a second make install keeps an edited /etc/pinbounce/pinbounce.policy" \
		grep -qx '# edited' "$policy"
else
	bad "/etc/pinbounce/pinbounce.policy: not installed"
fi

summary install
