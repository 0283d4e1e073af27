#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The benchmark: udsechod against bench-ref, the bare-epoll echo server, under the workloads of
# bench-load. For every workload and repetition both servers are started fresh (udsechod with
# --ready-fd, a policy whose last rule is the one that lets us in, the default strict sandbox and
# its log in a file), measured and stopped by pid; the two alternate in order, all pinned with
# the load generator to CPU 1 when taskset is there. It prints the medians, the ratios
# udsechod/bare epoll and whether each performance goal is met. Its exit status says only whether
# every run was correct (every byte echoed, no timeout, every connection logged): speed never
# fails it. Each repetition also times three system calls without and with the worker's seccomp
# filter, in a program of its own (bench-filter). Environment: UDSECHOD, BENCH_REF, BENCH_LOAD,
# BENCH_FILTER (set by meson); UDSECHO_BENCH_SECONDS (default 2) and UDSECHO_BENCH_REPS (default 3)
# for longer runs; UDSECHO_BENCH_KEEP=1 keeps the raw results and logs.
set -u

: "${UDSECHOD:?run with meson test --benchmark}" "${BENCH_REF:?}" "${BENCH_LOAD:?}"
: "${BENCH_FILTER:?}"
SECS=${UDSECHO_BENCH_SECONDS:-2}
REPS=${UDSECHO_BENCH_REPS:-3}

# Not in /tmp: udsechod trusts no policy in a directory anyone may add a file to.
# shellcheck source=/dev/null
. "$(dirname "$0")/../common/testdir.sh"
dir=$(test_tmpdir bench) || exit 1
chmod 0755 "$dir"
results=$dir/results
sock=$dir/sock
server_pid=
errors=0

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$server_pid" ]; then
		kill -KILL "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	fi
	if [ "${UDSECHO_BENCH_KEEP:-0}" = 1 ]; then
		echo "raw results and logs kept in $dir"
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

error() {
	echo "ERROR: $*"
	errors=$((errors + 1))
}

# CPU placement: server, its children and the load generator on one CPU.
pin=()
if command -v taskset >/dev/null && taskset -c 1 true 2>/dev/null; then
	pin=(taskset -c 1)
	placement="pinned to CPU 1 (taskset -c 1)"
else
	placement="NOT pinned (no taskset or no CPU 1): expect noisy ratios"
fi

# A policy of $1 rules: deny rules that do not match us (users, groups, ranges, both), then the
# rule that allows our uid, last, so that every connection is checked against all of them.
# With a third argument, every rule also has a name and a time window that holds now.
make_policy() {
	local n=$1 file=$2 attrs=${3:-} i a=
	{
		echo "# $n rules; the last one lets the benchmark in"
		for ((i = 1; i <= n; i++)); do
			[ -n "$attrs" ] && a=" name=rule-$i from=2000-01-01T00:00:00Z until=9999-12-31T23:59:59Z"
			case $((i == n ? -1 : i % 4)) in
			-1) echo "allow user $(id -u)$a" ;;
			0) echo "deny user $((1000000 + i))$a" ;;
			1) echo "deny group $((1000000 + i))$a" ;;
			2) echo "deny user $((3000000 + i * 10))-$((3000000 + i * 10 + 4))$a" ;;
			3) echo "deny user $((5000000 + i)) group $((5000000 + i))$a" ;;
			esac
		done
	} >"$file"
	chmod 0644 "$file"
}
make_policy 100 "$dir/policy-100"
make_policy 10000 "$dir/policy-10000"
make_policy 10000 "$dir/policy-10000a" attrs
make_policy 100000 "$dir/policy-100000"
# The per-uid budget: our uid floods, another one (4242, no account needed) probes.
printf 'allow user %s\nallow user 4242\n' "$(id -u)" >"$dir/policy-flood"
chmod 0644 "$dir/policy-flood"

# start_server LABEL POLICY: start it and wait for its ready line; sets server_pid.
start_server() {
	local label=$1 policy=$2
	rm -f "$sock" "$dir/ready"
	mkfifo "$dir/ready"
	exec {ready}<>"$dir/ready"
	if [ "$label" = udsechod ]; then
		# Every connection is the benchmark's uid: let it hold them all (the default is 1024),
		# except in the flood, which measures the default limits with another uid's probe.
		local limits=(--max-per-uid 1000000)
		[[ $policy = *flood ]] && limits=(--mode 0666)
		"${pin[@]}" "$UDSECHOD" -s "$sock" -p "$policy" --ready-fd 3 "${limits[@]}" \
			3>"$dir/ready" 2>"$dir/udsechod.log" </dev/null >/dev/null &
	else
		"${pin[@]}" "$BENCH_REF" "$sock" --ready-fd 3 \
			3>"$dir/ready" 2>"$dir/ref.log" </dev/null >/dev/null &
	fi
	server_pid=$!
	# One read with the whole bound: a loop of short timed reads (read -t 0.1) lost the line
	# about once in 70 starts, when a timeout fell as it arrived. A server that dies first is
	# found out when the bound is up.
	if read -r -t 10 -u "$ready" _; then
		exec {ready}<&-
		return 0
	fi
	exec {ready}<&-
	error "$label did not become ready; its log:"
	cat "$dir/$label.log" 2>/dev/null
	kill -KILL "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=
	return 1
}

# stop_server LABEL: SIGTERM by pid, a bounded wait, then its exit status must be 0.
stop_server() {
	local label=$1 status i state
	kill -TERM "$server_pid"
	for ((i = 0; i < 100; i++)); do
		state=$(cut -d' ' -f3 "/proc/$server_pid/stat" 2>/dev/null)
		if [ -z "$state" ] || [ "$state" = Z ]; then
			break
		fi
		sleep 0.1
	done
	kill -KILL "$server_pid" 2>/dev/null
	wait "$server_pid"
	status=$?
	server_pid=
	[ "$status" = 0 ] || error "$label exited with status $status when stopped"
}

# run_case CASE LABEL POLICY REP ARGS...: one measurement of one server.
run_case() {
	local case=$1 label=$2 policy=$3 rep=$4 out rc allows conns
	shift 4
	start_server "$label" "$policy" || return
	# The reload workload signals the monitor and watches its log for the end of each operation.
	[ "$1" = reload ] && set -- "$@" -L "$dir/udsechod.log"
	out=$("${pin[@]}" "$BENCH_LOAD" "$@" -p "$sock" -P "$server_pid" -l "$label" \
		2>"$dir/load.err")
	rc=$?
	stop_server "$label"
	echo "$out" | grep '^#'
	if [ "$rc" != 0 ]; then
		error "$case $label (repetition $rep): bench-load exited $rc: $(cat "$dir/load.err")"
		return
	fi
	echo "$out" | sed -n "s/^RESULT /case=$case rep=$rep /p" >>"$results"
	# Every connection udsechod served was checked against the policy and logged.
	if [ "$label" = udsechod ] && [ "$1" = conn ]; then
		allows=$(grep -c 'event=allow' "$dir/udsechod.log")
		conns=$(echo "$out" | sed -n 's/^RESULT .* connections=\([0-9]*\).*/\1/p')
		echo "#   udsechod logged $allows allow decisions for $conns connections"
		[ "$allows" -ge "$conns" ] ||
			error "$case: udsechod logged $allows allow decisions for $conns connections"
	fi
}

# The reload workload: RELOAD_K idle connections (10,000 when the fd hard limit allows it), one
# active client, 10 times each of SIGHUP, SIGUSR2 and SIGUSR1; udsechod only.
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge 10200 ]; then
	RELOAD_K=10000
else
	RELOAD_K=$(((hard - 200) / 1000 * 1000))
	[ "$RELOAD_K" -ge 1000 ] || RELOAD_K=$((hard / 2))
fi
cases=(
	"rtt1|100|rtt -c 1 -s 64 -t $SECS"
	"rtt64|100|rtt -c 64 -s 64 -t $SECS"
	"stream4|100|stream -c 4 -s 64k -t $SECS"
	"conn2|100|conn -c 2 -s 16 -t $SECS"
	"conn2-10k|10000|conn -c 2 -s 16 -t $SECS"
	"conn2-10ka|10000a|conn -c 2 -s 16 -t $SECS"
	"idle1000|100|idle -k 1000 -i 1"
	"reload10k|10000|reload -k $RELOAD_K -n 10 -s 4 -r 10000 -o 10"
	"reload100k|100000|reload -k $RELOAD_K -n 10 -s 4 -r 100000 -o 20"
)
# The flood: 1024 connections (the default --max-per-uid) that never read; the probe's uid is
# taken with seteuid(2), so it needs root.
if [ "$(id -u)" = 0 ]; then
	cases+=("flood1024|flood|flood -c 1024 -u 4242 -i 1 -o 5")
fi
if [ "$hard" = unlimited ] || [ "$hard" -ge 10200 ]; then
	cases+=("idle10000|100|idle -k 10000 -i 1 -o 10")
	big_idle="idle K=10000 included"
else
	big_idle="idle K=10000 skipped: the fd hard limit is $hard (needs 10200: each process holds one end of every connection)"
fi

echo "udsecho benchmark: udsechod vs bare epoll (bench-ref), $REPS repetitions of ${SECS}s,"
echo "$placement; $big_idle; reload with $RELOAD_K idle connections (fd hard limit $hard)"
start=$SECONDS
for ((rep = 1; rep <= REPS; rep++)); do
	if out=$("${pin[@]}" "$BENCH_FILTER" 2>"$dir/filter.err"); then
		echo "$out" | grep '^#'
		echo "$out" | sed -n "s/^RESULT /case=filter rep=$rep /p" >>"$results"
	else
		error "bench-filter (repetition $rep): $(cat "$dir/filter.err")"
	fi
	for c in "${cases[@]}"; do
		IFS='|' read -r case rules args <<<"$c"
		if [[ $case = reload* || $case = flood* ]]; then
			order=(udsechod)
		elif ((rep % 2)); then
			order=(udsechod ref)
		else
			order=(ref udsechod)
		fi
		for label in "${order[@]}"; do
			# shellcheck disable=SC2086 # args is a word list
			run_case "$case" "$label" "$dir/policy-$rules" "$rep" $args
		done
	done
done
echo "measured in $((SECONDS - start)) s"

# The table: medians per case and server, ratios udsechod/ref, goals.
awk -v placement="$placement" -v reps="$REPS" -v reload_k="$RELOAD_K" '
function median(key,   n, i, j, t, a) {
	n = split(vals[key], a, " ")
	if (n == 0)
		return "";
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function m(c, l, k) { return median(c SUBSEP l SUBSEP k) }
function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "n/a" : sprintf("%.2f", a / b) }
function goal(r, op, lim) {
	if (op == "") return ""
	if (r == "n/a") return "n/a"
	return (op == ">=" ? r + 0 >= lim : r + 0 <= lim) ? "met" : "NOT met"
}
function row(name, c, k, unit, op, lim, what,   u, r, rr) {
	u = m(c, "udsechod", k); r = m(c, "ref", k)
	if (u == "" && r == "") return
	rr = ratio(u, r)
	printf "| %-28s | %12s | %12s | %5s | %-28s | %-7s |\n", name " " unit, u, r, rr,
		what " " op " " lim, goal(rr, op, lim)
}
{
	for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		f[kv[1]] = kv[2]
	}
	# One reload run prints a line per operation: each is a case of its own.
	c = f["case"] (("op" in f) ? "-" f["op"] : "")
	for (k in f)
		if (k != "case" && k != "label" && k != "rep" && k != "workload" && k != "status" && k != "op")
			vals[c, f["label"], k] = vals[c, f["label"], k] " " f[k]
	delete f
}
END {
	printf "\n## udsechod vs bare epoll: medians of %s, %s\n\n", reps, placement
	printf "| %-28s | %12s | %12s | %5s | %-28s | %-7s |\n", "workload, metric", "udsechod", "bare epoll", "ratio", "goal", "result"
	print "|------------------------------|--------------|--------------|-------|------------------------------|---------|"
	row("rtt C=1 S=64", "rtt1", "rtt_per_s", "rt/s", ">=", 0.98, "ratio")
	row("rtt C=1 S=64", "rtt1", "p50_us", "p50 us", "", "", "")
	row("rtt C=1 S=64", "rtt1", "p99_us", "p99 us", "<=", 1.25, "ratio")
	row("rtt C=64 S=64", "rtt64", "rtt_per_s", "rt/s", ">=", 0.98, "ratio")
	row("stream C=4 S=64k", "stream4", "MBps", "MB/s", ">=", 1.00, "ratio")
	row("conn W=2 S=16", "conn2", "conn_per_s", "conn/s", ">=", 0.90, "ratio")
	row("conn W=2, 10k rules", "conn2-10k", "conn_per_s", "conn/s", ">=", 0.90, "ratio")
	row("conn W=2, 10k rules, attributes", "conn2-10ka", "conn_per_s", "conn/s", ">=", 0.90, "ratio")
	for (K = 1000; K <= 10000; K *= 10) {
		c = "idle" K
		u = m(c, "udsechod", "pss_per_conn_kib"); r = m(c, "ref", "pss_per_conn_kib")
		if (u == "" && r == "") continue
		printf "| %-28s | %12s | %12s | %5s | %-28s | %-7s |\n", "idle K=" K " PSS KiB/conn", u, r, "-",
			"udsechod <= 0.5 KiB", u == "" ? "n/a" : (u + 0 <= 0.5 ? "met" : "NOT met")
		u = m(c, "udsechod", "probe_p50_us"); r = m("rtt1", "ref", "p50_us")
		rr = ratio(u, r)
		printf "| %-28s | %12s | %12s | %5s | %-28s | %-7s |\n", "idle K=" K " probe p50 us", u, r " (1)", rr,
			"ratio <= 1.2", goal(rr, "<=", 1.2)
		printf "| %-28s | %12s | %12s | %5s | %-28s | %-7s |\n", "idle K=" K " probe (2)", u, m(c, "ref", "probe_p50_us"), ratio(u, m(c, "ref", "probe_p50_us")), "", ""
	}
	print ""
	print "(1) the unloaded bare epoll server: its rtt C=1 p50; (2) against the bare epoll server with K idle connections too."
	printf "\n## udsechod reload, preview and inventory: %s idle connections, one active client (4-byte\n", reload_k
	printf "ping-pong); medians over %s runs of 10 of each; times from kill(2) to the end line in the log\n\n", reps
	printf "| %-22s | %9s | %8s | %8s | %8s | %8s | %9s | %-24s | %-7s |\n", "operation", "median ms", "max ms", "monitor", "worker", "rtt worst", "rtt p99.9", "goal", "result"
	printf "| %-22s | %9s | %8s | %8s | %8s | %8s | %9s | %-24s | %-7s |\n", "", "", "", "CPU ms", "CPU ms", "us", "us", "", ""
	print "|------------------------|-----------|----------|----------|----------|----------|-----------|--------------------------|---------|"
	n = split("10k:10000:10:1000 100k:100000:50:2000", rs, " ")
	for (i = 1; i <= n; i++) {
		split(rs[i], q, ":")
		split("applied preview inventory", ops, " ")
		for (j = 1; j <= 3; j++) {
			c = "reload" q[1] "-" ops[j]
			med = m(c, "udsechod", "median_ms")
			if (med == "") continue
			worst = m(c, "udsechod", "rtt_max_us")
			printf "| %-22s | %9s | %8s | %8s | %8s | %8s | %9s | %-24s | %-7s |\n", ops[j] ", " q[2] " rules", med,
				m(c, "udsechod", "max_ms"), m(c, "udsechod", "monitor_cpu_ms"), m(c, "udsechod", "worker_cpu_ms"),
				worst, m(c, "udsechod", "rtt_p999_us"), "<= " q[3] " ms, worst <= " q[4] / 1000 " ms",
				(med + 0 <= q[3] && worst + 0 <= q[4]) ? "met" : "NOT met"
		}
	}
	printf "\nThe active client between operations (reload 10k): p99.9 %s us, worst %s us.\n",
		m("reload10k-applied", "udsechod", "rtt_outside_p999_us"), m("reload10k-applied", "udsechod", "rtt_outside_max_us")
	u = m("flood1024", "udsechod", "per_conn_kib")
	if (u != "") {
		printf "\n## One uid that writes on 1024 connections and never reads (default limits); medians of %s\n\n", reps
		printf "Pinned: %s MiB in the kernel towards the server, %s MiB of echo unread, %s MiB in the server (%s KiB a connection).\n",
			m("flood1024", "udsechod", "kernel_to_server_mib"), m("flood1024", "udsechod", "unread_echo_mib"),
			m("flood1024", "udsechod", "server_pss_mib"), u
		printf "Another uid, p50 / p99 / worst us: before %s / %s / %s, while it fills %s / %s / %s, once full %s / %s / %s.\n",
			m("flood1024", "udsechod", "probe_before_p50_us"), m("flood1024", "udsechod", "probe_before_p99_us"), m("flood1024", "udsechod", "probe_before_max_us"),
			m("flood1024", "udsechod", "probe_filling_p50_us"), m("flood1024", "udsechod", "probe_filling_p99_us"), m("flood1024", "udsechod", "probe_filling_max_us"),
			m("flood1024", "udsechod", "probe_full_p50_us"), m("flood1024", "udsechod", "probe_full_p99_us"), m("flood1024", "udsechod", "probe_full_max_us")
	}
	printf "\nWhat the worker'"'"'s seccomp filter costs a system call, ns (bench-filter, medians of the best of 7\n"
	printf "rounds of 200,000 calls; getpid and recv are allowed whatever their arguments, getsockopt by them):\n\n"
	printf "| %-10s | %10s | %10s | %6s |\n", "call", "no filter", "filter", "more"
	print "|------------|------------|------------|--------|"
	n = split("getpid recv getsockopt", cs, " ")
	for (i = 1; i <= n; i++) {
		u = m("filter", "udsechod", cs[i] "_off_ns"); r = m("filter", "udsechod", cs[i] "_on_ns")
		if (u != "")
			printf "| %-10s | %10s | %10s | %6.1f |\n", cs[i], u, r, r - u
	}
	printf "\nServer CPU per operation, us (medians; /proc utime+stime of the server and its children):\n\n"
	printf "| %-10s | %10s | %10s | %5s |\n", "workload", "udsechod", "bare epoll", "ratio"
	print "|------------|------------|------------|-------|"
	n = split("rtt1 rtt64 stream4 conn2 conn2-10k conn2-10ka", cs, " ")
	for (i = 1; i <= n; i++) {
		u = m(cs[i], "udsechod", "srv_cpu_us_per_op"); r = m(cs[i], "ref", "srv_cpu_us_per_op")
		printf "| %-10s | %10s | %10s | %5s |\n", cs[i], u, r, ratio(u, r)
	}
}' "$results"

if [ "$errors" != 0 ]; then
	echo "FAILED: $errors correctness error(s) (see ERROR lines above)"
	exit 1
fi
echo "all runs correct: every byte echoed and checked, every connection served"
exit 0
