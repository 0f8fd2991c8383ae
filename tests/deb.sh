#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian package: built with dpkg-buildpackage from a copy of the
# tree (the userspace .deb; its build runs the unit tests), lintian clean,
# holding what make install installs, its units installed and not enabled,
# its example policy a conffile, and its binary runs.
#
#   tests/deb.sh
#
# Needs the build dependencies of debian/control, dpkg-dev and lintian.
# Prints "ok: ..." or "FAIL: ..." per check and ends with
# "deb: N passed, N failed"; exits 1 if any failed.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$repo/tests/checks.sh"

# The tree as git sees it (tracked and new files, not build outputs): the
# package is built from its source, not from this tree's build/.
src=$work/pinbounce-0.1
mkdir "$src"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard) |
	(cd "$repo" && while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"
	done) | (cd "$repo" && xargs -0 cp -P --parents -t "$src")
check "debian/: the build dependencies are installed" \
	bash -c "cd '$src' && dpkg-checkbuilddeps 2> '$work/deps'"
[ -s "$work/deps" ] && sed 's/^/  /' "$work/deps"

if (cd "$src" && dpkg-buildpackage -us -uc -b) > "$work/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	tail -30 "$work/build.log" | sed 's/^/  /'
	bad "dpkg-buildpackage -us -uc -b failed"
	summary deb
fi
for t in test_policy test_rate; do
	check "the build ran the unit test $t" \
		grep -q "^build/tests/$t\$" "$work/build.log"
done
deb=$(ls "$work"/pinbounce_*.deb 2> /dev/null)
check "one .deb: $(basename "${deb:-none}")" [ -n "$deb" -a "$(echo "$deb" | wc -l)" = 1 ]
[ -n "$deb" ] || summary deb

# (It warns on stderr when run as root, as the tests are.)
lintian --fail-on error,warning "$work"/*.changes > "$work/lintian" 2> "$work/lintian.err"
status=$?
check "lintian: no error nor warning (status $status)" [ "$status" = 0 ]
check "lintian: no tag to show" [ ! -s "$work/lintian" ]
grep -v 'running with root privileges' "$work/lintian" "$work/lintian.err" | sed 's/^/  /'

dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' > "$work/files"
for f in /usr/sbin/pinbounce /usr/sbin/pinforce \
	/usr/share/man/man8/pinbounce.8.gz /usr/share/man/man8/pinforce.8.gz \
	/usr/share/man/man5/pinbounce.policy.5.gz \
	/usr/share/bash-completion/completions/pinbounce \
	/usr/share/bash-completion/completions/pinforce \
	/lib/systemd/system/pinbounce-policy.service \
	/lib/systemd/system/pinbounce-exporter.service \
	/etc/pinbounce/pinbounce.policy /usr/share/doc/pinbounce/copyright \
	/etc/default/pinbounce-exporter /usr/share/doc/pinbounce/README.md.gz \
	/usr/share/doc/pinbounce/pinbounce-1.schema.json \
	/usr/share/doc/pinbounce/examples/pinbounce.policy \
	/usr/share/doc/pinbounce/examples/pinbounce.rules.yml \
	/usr/share/doc/pinbounce/examples/pinbounce.json; do
	check "the package holds $f" grep -qx "$f" "$work/files"
done
check "nothing under /usr/local" bash -c "! grep -q '^/usr/local' '$work/files'"

dpkg-deb -e "$deb" "$work/control"
check "the example policy is a conffile" \
	grep -qx /etc/pinbounce/pinbounce.policy "$work/control/conffiles"
# The units are enabled again on an upgrade only if they were
# (debian-installed); deb-systemd-invoke starts no disabled unit.
for unit in pinbounce-policy.service pinbounce-exporter.service; do
	check "postinst: $unit enabled only where it was before" \
		grep -q "deb-systemd-helper debian-installed '$unit'" "$work/control/postinst"
done
# An upgrade keeps protection on: no script stops the policy unit (its
# stop detaches the policy) but prerm on remove; postinst only "start"s
# it, which leaves an active oneshot unit alone; the exporter is restarted
# on upgrade ($2, the old version, set), started on a first install.
check "no preinst: nothing stopped before an upgrade" [ ! -e "$work/control/preinst" ]
check "prerm: the policy unit stopped on remove only" \
	bash -c "grep -B1 \"deb-systemd-invoke stop 'pinbounce-policy.service'\" '$work/control/prerm' |
		 grep -q '\"\$1\" = remove'"
check "postinst: the policy unit never restarted, only started" \
	bash -c "grep -q \"deb-systemd-invoke start 'pinbounce-policy.service'\" '$work/control/postinst' &&
		 ! grep -q \"restart.*pinbounce-policy\" '$work/control/postinst'"
check "postinst: the exporter restarted on upgrade" \
	bash -c "grep -q '_dh_action=restart' '$work/control/postinst' &&
		 grep -q \"deb-systemd-invoke \\\$_dh_action 'pinbounce-exporter.service'\" '$work/control/postinst'"
check "/etc/default/pinbounce-exporter is a conffile" \
	grep -qx /etc/default/pinbounce-exporter "$work/control/conffiles"

dpkg-deb -x "$deb" "$work/root"
out=$("$work/root/usr/sbin/pinbounce" --version 2>&1)
check "the packaged pinbounce runs: $out" grep -q '^pinbounce 0\.1' <<< "$out"
check "its units run /usr/sbin/pinbounce" \
	grep -q '^ExecStart=/usr/sbin/pinbounce' "$work/root/lib/systemd/system/pinbounce-policy.service"
summary deb
