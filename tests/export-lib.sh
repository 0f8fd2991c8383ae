# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# What the exporter's host tests and bench share, sourced: the processes
# they start in the background (stopped at exit), a free port, waiting for
# an exporter to answer, and a mount namespace with a BPF filesystem of
# their own, so that the pins and the lock they touch are not the host's.
pids=()

# stop_all: SIGTERM to every process still in $pids, and wait for each.
stop_all() {
	local p

	for p in "${pids[@]}"; do
		kill -TERM "$p" 2> /dev/null && wait "$p" 2> /dev/null
	done
	pids=()
}

# forget PID: no longer one to stop at exit.
forget() {
	local p keep=()

	for p in "${pids[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	pids=("${keep[@]}")
}

# free_port: a TCP port of 127.0.0.1 that nothing listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL PID: 0 once URL answers (the observers take a moment to
# load), 1 if PID exits first or 60 s pass.
wait_http() {
	local i

	for ((i = 0; i < 300; i++)); do
		curl -sf -o /dev/null "$1" && return 0
		kill -0 "$2" 2> /dev/null || return 1
		sleep 0.2
	done
	return 1
}

# own_bpffs VAR SCRIPT ARGS...: unless VAR is set, run SCRIPT ARGS again
# in a mount namespace of its own with VAR=1; there, mount a BPF
# filesystem on /sys/fs/bpf.  Returns 1 if it cannot.
own_bpffs() {
	local var=$1

	shift
	if [ -z "${!var:-}" ]; then
		export "$var"=1
		exec unshare -m --propagation private "$@"
	fi
	mount -t bpf bpf /sys/fs/bpf
}
