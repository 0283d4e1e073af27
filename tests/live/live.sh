#!/bin/bash
# SPDX-License-Identifier: MIT
# The installed units, live: boots systemd as PID 1 in a throw-away container (systemd-nspawn
# on an overlay over a cached Debian tree), installs udsecho into it as README.md's "Running
# under systemd" says, and drives it as an admin does:
#   systemd-sysusers, enabling the socket, the node's owner, group and mode; socket
#   activation and readiness; root, an allowed member of group udsecho, a member the policy
#   refuses and a non-member; the decisions in the journal and their priority; reload with a
#   valid policy (revoking an open connection) and with a broken one; stop and
#   re-activation; a broken policy at start (clients told the server is unavailable, the
#   socket stays up, fixing the file is enough); restarts after SIGSEGV to the worker and to
#   the monitor; the live exposure score; the unit's system call filter with
#   SystemCallErrorNumber=kill, and a negative control that a missing call is seen; a second
#   boot of the same image.
# Each check prints what it checks; the first that fails stops the test with FAIL: and the
# state of the units.
#
# Usage: live.sh SOURCE_ROOT BUILD_ROOT THRESHOLD
#   SOURCE_ROOT  the source tree, built again with --prefix=/usr (as the README installs it)
#                in BUILD_ROOT/live-prefix-usr, kept there between runs
#   THRESHOLD    the highest exposure score allowed (the one tests/units uses)
# Environment:
#   UDSECHO_LIVE_CACHE   the Debian tree, made by debootstrap when missing and kept between
#                        runs (remove it to have it made anew), and each run's overlay,
#                        removed at the end (default /var/cache/udsecho-live)
#   UDSECHO_LIVE_MIRROR  the Debian mirror for debootstrap (default: the one apt uses for
#                        this machine's release)
# Exits 77 (skip), saying why, where it cannot run: not root, no systemd-nspawn
# (systemd-container), no debootstrap, no overlayfs, no mirror, or debootstrap failed.
set -euo pipefail

src=$1 build=$2 threshold=$3
cache=${UDSECHO_LIVE_CACHE:-/var/cache/udsecho-live}
usrbuild=$build/live-prefix-usr
sock=/run/udsecho/udsechod.sock
policy=/etc/udsecho/policy
ct_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
packages=systemd,dbus,procps

# State, for cleanup: everything this run started or made.
run="" merged="" machine="udsecho-live-$$" nspawn_pid="" leader="" cgroups=()
held_pid="" tree_new="" debootstrap_pid="" run_systemd_new=() diagnosed=0

say() { printf '%s\n' "$*"; }
check() { printf '\n== %s\n' "$*"; }
ok() { printf 'ok: %s\n' "$*"; }

skip() {
	say "SKIP: $*"
	exit 77
}

# The units' state and recent log, once, when a check fails.
diagnose() {
	[ "$diagnosed" -eq 0 ] && [ -n "$leader" ] && kill -0 "$leader" 2>/dev/null || return 0
	diagnosed=1
	say "--- systemctl status udsechod.socket udsechod.service"
	ct systemctl status --no-pager --lines=0 udsechod.socket udsechod.service || true
	say "--- journalctl -u udsechod.socket -u udsechod.service (last 40 lines)"
	ct journalctl -q --no-pager -n 40 -u udsechod.socket -u udsechod.service || true
}

fail() {
	say "FAIL: $*"
	diagnose
	exit 1
}

# How long a line may take to reach the journal: journald falls seconds behind on a host whose
# CPUs are all busy (a sanitizer build and this suite side by side took it past 10 s).
journal_wait=30

# wait_for SECONDS WHAT COMMAND...: poll COMMAND until it succeeds, at most SECONDS.
wait_for() {
	local secs=$1 what=$2
	local deadline=$((SECONDS + secs))
	shift 2
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${secs}s waiting for $what"
		sleep 0.1
	done
}

# --- running commands in the container ------------------------------------------------------

# ct COMMAND...: run COMMAND as root in the container (all its namespaces), with a clean
# environment, for at most 30 s ($ct_timeout). Standard input and output pass through.
ct_timeout=30
ct() {
	timeout -k 5 $((ct_timeout + 10)) nsenter -t "$leader" -a -r -w \
		env -i PATH="$ct_path" LANG=C.UTF-8 SYSTEMD_COLORS=0 \
		timeout -k 5 "$ct_timeout" "$@"
}

# as USER COMMAND...: run COMMAND as USER, with USER's groups as /etc/group has them now (as
# after a new login).
as() {
	local user=$1
	shift
	if [ "$user" = root ]; then
		ct "$@"
	else
		ct setpriv --reuid "$user" --regid "$user" --init-groups "$@"
	fi
}

prop() { ct systemctl show -p "$2" --value "$1"; }

# client USER: udsecho as USER sends one line; sets rc, out, err.
client() {
	rc=0
	as "$1" udsecho -s "$sock" "live check" >"$run/out" 2>"$run/err" || rc=$?
	out=$(cat "$run/out")
	err=$(cat "$run/err")
}

expect_served() {
	client "$1"
	[ "$rc" -eq 0 ] && [ "$out" = "live check" ] ||
		fail "$1 is not served: exit $rc, output '$out', error '$err'"
	ok "$1 is served"
}

# expect_policy_refusal USER UID: exit 77 and the client's words for the server's refusal,
# with the uid the server saw.
expect_policy_refusal() {
	client "$1"
	[ "$rc" -eq 77 ] || fail "$1: exit $rc, expected 77 (refused by the policy); error '$err'"
	case $err in
	*"$sock: Permission denied by the server's policy (the server saw uid=$2 "*) ;;
	*) fail "$1: exit 77 but not the policy refusal with uid=$2: '$err'" ;;
	esac
	ok "$1 is refused by the server's policy (exit 77): $err"
}

# expect_fs_refusal USER: exit 77 and the explanation of the node's bits.
expect_fs_refusal() {
	client "$1"
	[ "$rc" -eq 77 ] || fail "$1: exit $rc, expected 77 (refused by the filesystem); error '$err'"
	case $err in
	*"$sock: Permission denied by the filesystem: "*"owned by root:udsecho with mode 0660"*) ;;
	*) fail "$1: exit 77 but not the file-mode explanation: '$err'" ;;
	esac
	ok "$1 is refused by the filesystem (exit 77): ${err%%$'\n'*}"
}

# --- the journal ------------------------------------------------------------------------------

# journal_mark: later journal queries see only what is logged from now on. The mark is an
# entry of its own, which no query matches: journalctl --after-cursor with matches skips the
# first matching entry when the cursor's own entry does not match (systemd 252), so the
# queries start at the mark itself (--cursor).
marks=0
journal_mark() {
	marks=$((marks + 1))
	ct systemd-cat -t udsecho-live echo "mark $$ $marks"
	wait_for "$journal_wait" "the journal mark" mark_logged "mark $$ $marks"
}

mark_logged() {
	ct journalctl -q -t udsecho-live -n 1 -o export >"$run/mark"
	grep -qxF "MESSAGE=$1" "$run/mark" && mark=$(sed -n 's/^__CURSOR=//p' "$run/mark")
}

# journal [OPTIONS...]: udsechod.service's messages since the mark, one a line.
journal() {
	ct journalctl -q --no-pager -o cat -u udsechod.service --cursor="$mark" "$@"
}

# journal_count PATTERN [OPTIONS...]: how many of those lines match PATTERN (grep -E).
journal_count() {
	local pattern=$1
	shift
	journal "$@" | grep -Ec -- "$pattern" || true
}

journal_has() { [ "$(journal_count "$@")" -gt 0 ]; }

# journal_at_least N PATTERN: at least N lines since the mark match PATTERN.
journal_at_least() { [ "$(journal_count "$2")" -ge "$1" ]; }

# Wait until the worker has put a policy in force since the mark.
wait_policy_applied() {
	wait_for "$journal_wait" "event=policy-applied in the journal" journal_has "event=policy-applied"
}

write_policy() { ct sh -c "cat >$policy"; }

# --- preconditions, build, cache ----------------------------------------------------------------

preflight() {
	[ "$EUID" -eq 0 ] || skip "the live test boots a container and needs root"
	command -v systemd-nspawn >/dev/null || skip "no systemd-nspawn (Debian package systemd-container)"
	command -v debootstrap >/dev/null || skip "no debootstrap (Debian package debootstrap)"
	for tool in nsenter setpriv flock findmnt meson ninja; do
		command -v "$tool" >/dev/null || skip "no $tool"
	done
	grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
		skip "no overlayfs in this kernel"
	grep -qw overlay /proc/filesystems || skip "no overlayfs in this kernel"
	findmnt -t cgroup2 >/dev/null || skip "no cgroup2 hierarchy mounted"
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || skip "no VERSION_CODENAME in /etc/os-release"
	mirror=${UDSECHO_LIVE_MIRROR:-$(apt_mirror "$codename")}
	[ -n "$mirror" ] || skip "no Debian mirror for $codename in apt's sources (set UDSECHO_LIVE_MIRROR)"
}

# apt_mirror SUITE: the first URI that apt's sources name for SUITE (one-line or deb822 form).
apt_mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v suite="$1" '$1 == "deb" {
			i = 2; if ($i ~ /^\[/) while ($i !~ /\]$/) i++; if ($i ~ /\]$/ && $2 ~ /^\[/) i++
			if ($(i + 1) == suite) { print $i; exit } }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$1" 'BEGIN { RS = ""; FS = "\n" } {
			uri = ""; s = 0; t = 0
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^URIs:/) { split($i, u, /[ \t]+/); uri = u[2] }
				if ($i ~ /^Suites:/) { n = split($i, w, /[ \t]+/); for (j = 2; j <= n; j++) if (w[j] == suite) s = 1 }
				if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) t = 1
			}
			if (s && t && uri != "") { print uri; exit } }' "$f"
	done | head -n 1
}

# The tree as the README builds it: --prefix=/usr, so /usr/sbin/udsechod, /etc/udsecho/policy
# and /usr/lib/systemd/system.
build_usr() {
	check "building with --prefix=/usr in $usrbuild"
	if [ ! -f "$usrbuild/build.ninja" ]; then
		meson setup "$usrbuild" "$src" --prefix=/usr -Dtests=false >"$build/live-setup.log" ||
			{ cat "$build/live-setup.log"; fail "meson setup --prefix=/usr failed"; }
	fi
	ninja -C "$usrbuild" >"$build/live-ninja.log" || { cat "$build/live-ninja.log"; fail "ninja failed"; }
	ok "built"
}

# The Debian tree, made once by debootstrap and kept in the cache (stamped with how it was
# made; remade when that changes). Concurrent runs wait on a lock.
ensure_tree() {
	tree=$cache/$codename-minbase
	local stamp="debootstrap --variant=minbase --include=$packages $codename"
	mkdir -p "$cache"
	exec {lock}>"$cache/lock"
	flock -w 900 "$lock" || fail "the cache $cache stays locked"
	if [ -d "$tree" ] && [ "$(cat "$tree.stamp" 2>/dev/null)" = "$stamp" ]; then
		say "cached Debian tree: $tree"
	else
		check "making the Debian tree $tree ($stamp, from $mirror)"
		rm -rf "$tree" "$tree.stamp"
		tree_new=$(mktemp -d "$cache/new.XXXXXX")
		# In the background, so that a signal is handled at once (the trap kills it).
		timeout 900 debootstrap --variant=minbase --include="$packages" "$codename" "$tree_new" "$mirror" \
			>"$tree_new.log" 2>&1 &
		debootstrap_pid=$!
		if ! wait "$debootstrap_pid"; then
			debootstrap_pid=""
			tail -n 20 "$tree_new.log"
			skip "debootstrap from $mirror failed (log above)"
		fi
		debootstrap_pid=""
		rm -f "$tree_new"/var/cache/apt/archives/*.deb "$tree_new.log"
		mv "$tree_new" "$tree"
		tree_new=""
		printf '%s\n' "$stamp" >"$tree.stamp"
		ok "made $tree"
	fi
	exec {lock}>&-
}

# --- the container ------------------------------------------------------------------------------

make_overlay() {
	run=$(mktemp -d "$cache/run.XXXXXX")
	mkdir "$run/upper" "$run/work" "$run/merged"
	merged=$run/merged
	mount -t overlay overlay -o "lowerdir=$tree,upperdir=$run/upper,workdir=$run/work" "$merged"
}

# /run/systemd entries systemd-nspawn makes on the host and leaves; the ones that were not
# there before this run are removed at the end.
note_run_systemd() {
	local d
	for d in /run/systemd /run/systemd/nspawn /run/systemd/nspawn/locks \
		/run/systemd/nspawn/propagate; do
		[ -e "$d" ] || run_systemd_new+=("$d")
	done
}

# A cgroup of our own in each hierarchy systemd-nspawn uses (cgroup2, and the named v1
# "systemd" one on a hybrid host), below this process's, so that its "payload" and
# "supervisor" groups are not made at the root of the host's trees.
make_cgroups() {
	local line rel mnt
	cgroups=()
	rel=$(sed -n 's/^0:://p' /proc/self/cgroup)
	mnt=$(findmnt -rn -t cgroup2 -o TARGET | head -n 1)
	cgroups+=("${mnt%/}${rel%/}/$machine")
	line=$(grep '^[0-9]*:name=systemd:' /proc/self/cgroup || true)
	mnt=$(findmnt -rn -t cgroup -o TARGET,OPTIONS | awk '$2 ~ /name=systemd/ { print $1; exit }')
	if [ -n "$line" ] && [ -n "$mnt" ]; then
		rel=${line#*:name=systemd:}
		cgroups+=("${mnt%/}${rel%/}/$machine")
	fi
	mkdir "${cgroups[@]}"
}

# Kill what is left in our cgroups (nothing, normally), then remove them, deepest first.
remove_cgroups() {
	local cg
	for cg in "${cgroups[@]}"; do
		[ -d "$cg" ] || continue
		if [ -n "$(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)" ]; then
			say "warning: processes left in $cg, killing them"
			[ -f "$cg/cgroup.kill" ] && echo 1 >"$cg/cgroup.kill"
		fi
		local deadline=$((SECONDS + 10))
		while [ -d "$cg" ] && [ "$SECONDS" -lt "$deadline" ]; do
			find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || sleep 0.1
		done
		[ ! -d "$cg" ] || say "warning: cannot remove cgroup $cg"
	done
	cgroups=()
}

boot() {
	check "booting the container $machine (systemd-nspawn -b on $merged)"
	make_cgroups
	(
		for cg in "${cgroups[@]}"; do echo "$BASHPID" >"$cg/cgroup.procs"; done
		export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
		exec systemd-nspawn --quiet --register=no --keep-unit --private-network \
			--system-call-filter=bpf --settings=no --link-journal=no --resolv-conf=off \
			--timezone=off --console=read-only --machine="$machine" -D "$merged" -b
	) </dev/null >>"$run/console.log" 2>&1 &
	nspawn_pid=$!
	wait_for 30 "the container's init" find_leader
	wait_for 30 "the container's service manager to listen" ct test -S /run/systemd/private
	ct_timeout=120
	local state
	state=$(ct systemctl is-system-running --wait) || true
	ct_timeout=30
	if [ "$state" != running ]; then
		ct systemctl --failed --no-pager || true
		tail -n 30 "$run/console.log"
		fail "the container's system is '$state' after boot, not running"
	fi
	ok "booted, leader pid $leader, system running"
}

find_leader() {
	kill -0 "$nspawn_pid" 2>/dev/null || {
		tail -n 30 "$run/console.log"
		fail "systemd-nspawn exited"
	}
	leader=$(pgrep -P "$nspawn_pid" -x systemd || true)
	[ -n "$leader" ]
}

# Power the container off (systemd-nspawn passes SIGTERM on to its init as a clean shutdown),
# and kill its init if it does not stop in time; wait for systemd-nspawn.
shutdown_container() {
	[ -n "$nspawn_pid" ] || return 0
	kill -TERM "$nspawn_pid" 2>/dev/null || true
	local deadline=$((SECONDS + 60))
	while kill -0 "$nspawn_pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
	if kill -0 "$nspawn_pid" 2>/dev/null; then
		say "warning: the container did not power off in 60 s, killing it"
		[ -n "$leader" ] && kill -KILL "$leader" 2>/dev/null
		deadline=$((SECONDS + 10))
		while kill -0 "$nspawn_pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
		kill -KILL "$nspawn_pid" 2>/dev/null || true
	fi
	wait "$nspawn_pid" 2>/dev/null || true
	nspawn_pid="" leader=""
	remove_cgroups
	rm -rf "/run/systemd/nspawn/propagate/$machine"
}

cleanup() {
	set +e
	trap - INT TERM
	[ -n "$held_pid" ] && kill "$held_pid" 2>/dev/null && wait "$held_pid" 2>/dev/null
	held_pid=""
	[ -n "$debootstrap_pid" ] && kill "$debootstrap_pid" 2>/dev/null && wait "$debootstrap_pid" 2>/dev/null
	debootstrap_pid=""
	shutdown_container
	local dir target
	for dir in "$run" "$tree_new"; do
		[ -n "$dir" ] && [ -d "$dir" ] || continue
		# Deepest first: the overlay, or what debootstrap mounted in its target.
		findmnt -rn -o TARGET | grep -F "$dir" | sort -r | while read -r target; do
			umount "$target" || umount -l "$target"
		done
		rm -rf --one-file-system "$dir" "$dir.log"
	done
	run="" tree_new=""
	local i
	for ((i = ${#run_systemd_new[@]} - 1; i >= 0; i--)); do
		rmdir "${run_systemd_new[i]}" 2>/dev/null
	done
	run_systemd_new=()
}

# After the run: no mount, cgroup, nspawn entry or overlay directory is left.
check_nothing_left() {
	check "nothing is left behind"
	local left=""
	findmnt -rn -o TARGET | grep -qF "$cache/run." && left+=" mounts under $cache/run.*"
	compgen -G "$cache/run.*" >/dev/null && left+=" $cache/run.*"
	[ -e "/run/systemd/nspawn/propagate/$machine" ] && left+=" /run/systemd/nspawn/propagate/$machine"
	find /sys/fs/cgroup -maxdepth 4 -type d -name "$machine" 2>/dev/null | grep -q . &&
		left+=" cgroups named $machine"
	pgrep -f -- "--machine=$machine" >/dev/null && left+=" systemd-nspawn"
	[ -z "$left" ] || fail "left behind:$left"
	ok "no mount, overlay directory, cgroup or /run/systemd/nspawn entry is left"
}

# --- the checks ---------------------------------------------------------------------------------

# README: meson install (here into the container's root from the host, DESTDIR).
install_tree() {
	check "meson install into the container"
	DESTDIR=$merged meson install -C "$usrbuild" --no-rebuild --quiet >"$run/install.log" ||
		{ cat "$run/install.log"; fail "meson install failed"; }
	ct test -x /usr/sbin/udsechod || fail "/usr/sbin/udsechod is not in the container"
	ok "installed: $(ct ls /usr/lib/systemd/system/udsechod.socket /usr/lib/systemd/system/udsechod.service \
		/usr/lib/sysusers.d/udsecho.conf $policy | tr '\n' ' ')"
}

# README: journalctl --update-catalog, for the catalog meson install put in place.
check_catalog() {
	check "journalctl --update-catalog: journalctl knows the catalog's entries"
	local n
	n=$(ct journalctl --list-catalog | grep -c ' udsecho: ' || true)
	[ "$n" -eq 0 ] || fail "journalctl lists $n udsecho entries before --update-catalog"
	ct journalctl --update-catalog || fail "journalctl --update-catalog failed"
	n=$(ct journalctl --list-catalog | grep -c ' udsecho: ' || true)
	[ "$n" -eq 3 ] || fail "journalctl lists $n udsecho entries after --update-catalog, expected 3"
	ok "3 entries (none before: the step is needed)"
}

check_sysusers() {
	check "systemd-sysusers creates the user and group udsecho"
	! ct getent passwd udsecho >/dev/null || fail "the user udsecho exists before systemd-sysusers"
	ct systemd-sysusers || fail "systemd-sysusers failed"
	local pw gr
	pw=$(ct getent passwd udsecho) || fail "no user udsecho after systemd-sysusers"
	gr=$(ct getent group udsecho) || fail "no group udsecho after systemd-sysusers"
	[ "$(echo "$pw" | cut -d: -f4)" = "$(echo "$gr" | cut -d: -f3)" ] ||
		fail "the user udsecho's group is not the group udsecho: $pw / $gr"
	ok "$pw; $gr"
}

check_enable_socket() {
	check "systemctl daemon-reload; systemctl enable --now udsechod.socket"
	ct systemctl daemon-reload || fail "systemctl daemon-reload failed"
	ct systemctl enable --now udsechod.socket || fail "systemctl enable --now udsechod.socket failed"
	[ "$(ct systemctl is-enabled udsechod.socket)" = enabled ] || fail "udsechod.socket is not enabled"
	[ "$(prop udsechod.socket ActiveState)" = active ] || fail "udsechod.socket is not active"
	[ "$(prop udsechod.service ActiveState)" = inactive ] ||
		fail "udsechod.service is already $(prop udsechod.service ActiveState) before any client"
	ok "udsechod.socket enabled and listening; udsechod.service not started yet"
}

check_node() {
	check "the node $sock is root:udsecho, mode 0660, a socket"
	local st
	st=$(ct stat -c '%U:%G %a %F' "$sock") || fail "no node at $sock"
	[ "$st" = "root:udsecho 660 socket" ] || fail "$sock is '$st', expected 'root:udsecho 660 socket'"
	ok "$sock: $st"
}

check_activation() {
	check "the first client starts udsechod.service, which becomes ready"
	[ "$(prop udsechod.service ActiveState)" = inactive ] || fail "udsechod.service is already running"
	expect_served root
	wait_for 10 "udsechod.service active (running)" service_running
	local status
	status=$(prop udsechod.service StatusText)
	case $status in serving*) ;; *) fail "StatusText is '$status', expected 'serving...'" ;; esac
	# README: "Check: systemctl status udsechod.socket udsechod.service" (0: both active).
	ct systemctl status --no-pager udsechod.socket udsechod.service >/dev/null ||
		fail "systemctl status udsechod.socket udsechod.service exits non-zero"
	ok "active (running), StatusText=$status"
}

service_running() {
	[ "$(prop udsechod.service ActiveState)/$(prop udsechod.service SubState)" = active/running ]
}

# README: "usermod -aG udsecho alice". alice and bob are members, carol is not.
make_users() {
	check "test users: alice and bob in group udsecho, carol not"
	local u
	for u in alice bob carol; do
		ct useradd --user-group --no-create-home --shell /usr/sbin/nologin "$u" ||
			fail "useradd $u failed"
	done
	ct usermod -aG udsecho alice
	ct usermod -aG udsecho bob
	alice=$(ct id -u alice) bob=$(ct id -u bob) carol=$(ct id -u carol)
	ok "alice=$alice bob=$bob carol=$carol; $(ct getent group udsecho)"
}

check_default_policy() {
	check "the installed default policy serves root alone"
	expect_served root
	expect_policy_refusal alice "$alice"
}

# The policy of the next checks: root; bob refused by name; the rest of group udsecho.
policy_v1() {
	printf 'allow user root\ndeny user bob\nallow group udsecho\ndeny all\n'
}

check_reload_to_v1() {
	check "a new policy (deny bob, allow group udsecho), checked and reloaded"
	journal_mark
	policy_v1 | write_policy
	ct udsecho-policy check "$policy" || fail "udsecho-policy check refuses the policy"
	ct systemctl reload udsechod.service || fail "systemctl reload failed on a valid policy"
	wait_policy_applied
	ok "reloaded: $(journal | grep -E 'event=(reload|policy-applied)' | tr '\n' ' ')"
}

check_users() {
	check "root, alice (member, allowed), bob (member, refused), carol (not a member)"
	journal_mark
	expect_served root
	expect_served alice
	expect_policy_refusal bob "$bob"
	expect_fs_refusal carol
	# A last client, so that every line before it is in the journal when its own is.
	expect_served root
	wait_for "$journal_wait" "the last allow line" journal_at_least 2 "event=allow .*uid=0 "
}

check_journal_decisions() {
	check "the journal has each decision with its rule, at priority info"
	local n
	n=$(journal_count "event=allow pid=[0-9]+ uid=$alice gid=$alice rule=$policy:3\$")
	[ "$n" -eq 1 ] || fail "$n allow lines for alice with rule $policy:3, expected 1"
	n=$(journal_count "event=deny pid=[0-9]+ uid=$bob gid=$bob rule=$policy:2\$")
	[ "$n" -eq 1 ] || fail "$n deny lines for bob with rule $policy:2, expected 1"
	n=$(journal_count "uid=$carol ")
	[ "$n" -eq 0 ] || fail "carol, refused by the kernel, is in the server's log ($n lines)"
	n=$(journal_count "event=allow .*uid=0 .*rule=$policy:1\$")
	[ "$n" -eq 2 ] || fail "$n allow lines for root, expected 2"
	ok "allow alice rule=$policy:3, deny bob rule=$policy:2, allow root twice, nothing of carol"
	local all info
	all=$(journal_count "event=(allow|deny)" -p debug)
	info=$(journal_count "event=(allow|deny)" -p info..info)
	[ "$all" -eq 4 ] && [ "$info" -eq 4 ] ||
		fail "of the decision lines ($all), $info are at priority info (6), expected all 4"
	n=$(journal_count "event=(allow|deny)" -p notice)
	[ "$n" -eq 0 ] || fail "$n decision lines at priority notice or above, expected none"
	ok "all 4 decision lines are at priority info (journalctl -p info..info), none above"
}

# journal_entries FIELD=VALUE...: how many of the service's entries since the mark have
# those fields (journalctl matches), one MESSAGE a line.
journal_entries() {
	journal "$@" | grep -c . || true
}

check_journal_native() {
	check "journald-native fields: UDSECHO_EVENT=deny UDSECHO_PEER_UID= selects one uid's denials"
	journal_mark
	{ echo 'deny user alice'; policy_v1; } | write_policy
	ct systemctl reload udsechod.service || fail "systemctl reload failed on a valid policy"
	wait_policy_applied
	local i
	for i in 1 2 3; do expect_policy_refusal bob "$bob" >/dev/null; done
	expect_policy_refusal alice "$alice" >/dev/null
	wait_for "$journal_wait" "four deny entries" journal_at_least 4 "event=deny "
	local n
	n=$(journal_entries UDSECHO_EVENT=deny UDSECHO_PEER_UID="$bob")
	[ "$n" -eq 3 ] || fail "UDSECHO_EVENT=deny UDSECHO_PEER_UID=$bob selects $n entries, expected 3 (bob's)"
	journal UDSECHO_EVENT=deny UDSECHO_PEER_UID="$bob" | grep -q "uid=$alice " &&
		fail "alice's denial is among bob's"
	n=$(journal_entries UDSECHO_EVENT=deny UDSECHO_PEER_UID="$alice")
	[ "$n" -eq 1 ] || fail "UDSECHO_EVENT=deny UDSECHO_PEER_UID=$alice selects $n entries, expected 1"
	n=$(journal_entries UDSECHO_EVENT=deny)
	[ "$n" -eq 4 ] || fail "UDSECHO_EVENT=deny selects $n entries, expected 4"
	ok "bob's 3 denials selected by uid, alice's 1 apart, 4 in all"
	ct journalctl -q --no-pager -o verbose -u udsechod.service --cursor="$mark" \
		UDSECHO_EVENT=deny UDSECHO_PEER_UID="$bob" -n 1 >"$run/verbose"
	local field
	for field in "UDSECHO_EVENT=deny" "UDSECHO_PEER_UID=$bob" "UDSECHO_PEER_GID=$bob" \
		"UDSECHO_PEER_PID=[0-9]+" "UDSECHO_RULE=$policy:3" "PRIORITY=6" \
		"MESSAGE_ID=[0-9a-f]{32}"; do
		grep -Eq "^ +$field\$" "$run/verbose" ||
			{ cat "$run/verbose"; fail "journalctl -o verbose has no $field"; }
	done
	grep -Eq "^ +MESSAGE_ID=24d7dd0307b94968a87783bb9e5d644b\$" "$run/verbose" ||
		fail "the deny record's MESSAGE_ID is not deny's, 24d7dd0307b94968a87783bb9e5d644b"
	ok "journalctl -o verbose: $(grep -E '^ +(UDSECHO_[A-Z_]+|PRIORITY|MESSAGE_ID)=' "$run/verbose" | tr -s ' \n' ' ')"
	# The catalog (journalctl --update-catalog ran at install): -x explains the refusal.
	ct journalctl -q --no-pager -x -u udsechod.service --cursor="$mark" \
		UDSECHO_EVENT=deny UDSECHO_PEER_UID="$bob" -n 1 >"$run/explained"
	grep -q "Subject: udsechod refused a client: its policy does not allow uid $bob\$" "$run/explained" ||
		{ cat "$run/explained"; fail "journalctl -x does not explain bob's denial from the catalog"; }
	ok "journalctl -x: $(grep -m1 'Subject:' "$run/explained" | sed 's/^ *//')"
	journal_mark
	policy_v1 | write_policy
	ct systemctl reload udsechod.service || fail "systemctl reload failed on a valid policy"
	wait_policy_applied
}

# An open connection of alice: udsecho reading a FIFO this script holds open.
open_held_client() {
	mkfifo "$run/held.in"
	as alice udsecho -s "$sock" <"$run/held.in" >"$run/held.out" 2>"$run/held.err" &
	held_pid=$!
	exec {held_fd}>"$run/held.in"
	printf 'still here\n' >&"$held_fd"
}

close_held_client() {
	exec {held_fd}>&-
	rm -f "$run/held.in"
}

check_reload_revokes() {
	check "reload with a policy that denies alice revokes her open connection"
	journal_mark
	open_held_client
	wait_for "$journal_wait" "alice's connection to be allowed" journal_has "event=allow .*uid=$alice "
	{ echo 'deny user alice'; policy_v1; } | write_policy
	ct systemctl reload udsechod.service || fail "systemctl reload failed on a valid policy"
	wait_for 10 "alice's client to end" gone "$held_pid"
	local held_rc=0
	wait "$held_pid" || held_rc=$?
	held_pid=""
	close_held_client
	[ "$held_rc" -eq 77 ] || fail "alice's open client exited $held_rc, expected 77: $(cat "$run/held.err")"
	grep -q "Permission denied by the server's policy" "$run/held.err" ||
		fail "alice's open client does not say the policy refused it: $(cat "$run/held.err")"
	ok "alice's open client: exit 77, $(cat "$run/held.err")"
	wait_for "$journal_wait" "event=revoke for alice" journal_has "event=revoke .*uid=$alice .*rule=$policy:1\$"
	journal_has "event=policy-applied rules=5 revoked=1 " ||
		fail "no 'event=policy-applied rules=5 revoked=1' line: $(journal | grep policy-applied)"
	ok "logged: $(journal | grep -E 'event=(revoke|policy-applied)' | tr '\n' ' ')"
	expect_policy_refusal alice "$alice"
	expect_served root
}

check_reload_broken() {
	check "reload with a broken policy fails, and the policy in force stays"
	journal_mark
	local main
	main=$(prop udsechod.service MainPID)
	# Valid, the first line would let alice in; the second is an error.
	printf 'allow all\nallow frobnicate\n' | write_policy
	! ct systemctl reload udsechod.service 2>"$run/reload.err" ||
		fail "systemctl reload succeeded with a broken policy"
	ok "systemctl reload fails: $(head -n 1 "$run/reload.err")"
	wait_for "$journal_wait" "the diagnostic in the journal" journal_has "^$policy:2:[0-9]+: error: "
	ok "journal: $(journal | grep -E "^$policy:2:" | head -n 1)"
	service_running || fail "udsechod.service is not active (running) after the failed reload"
	[ "$(prop udsechod.service MainPID)" = "$main" ] || fail "udsechod.service restarted"
	expect_policy_refusal alice "$alice"
	expect_policy_refusal bob "$bob"
	expect_served root
	ok "same server (pid $main), old policy in force"
	# Back to a policy that serves alice.
	journal_mark
	policy_v1 | write_policy
	ct systemctl reload udsechod.service || fail "systemctl reload failed on a valid policy"
	wait_policy_applied
	expect_served alice
}

check_stop_reactivation() {
	check "systemctl stop udsechod.service: the socket stays, the next client starts it again"
	local old
	old=$(prop udsechod.service MainPID)
	ct systemctl stop udsechod.service 2>/dev/null || fail "systemctl stop udsechod.service failed"
	[ "$(prop udsechod.service ActiveState)" = inactive ] || fail "udsechod.service is not inactive after stop"
	[ "$(prop udsechod.socket ActiveState)" = active ] || fail "udsechod.socket is not active after the service stopped"
	check_node
	expect_served alice
	wait_for 10 "udsechod.service active (running)" service_running
	[ "$(prop udsechod.service MainPID)" != "$old" ] || fail "the same server serves: it was not stopped"
	ok "stopped; re-activated by the next client (pid $old, then $(prop udsechod.service MainPID))"
}

# restarted_after N: the service was restarted more than N times and is running.
restarted_after() {
	[ "$(prop udsechod.service NRestarts)" -gt "$1" ] && service_running
}

gone() { ! kill -0 "$1" 2>/dev/null; }

# The checks start the service more often than its start limit allows (StartLimitBurst=5
# in 10 s, systemd's default); each check that restarts it begins with a fresh count.
fresh_start_limit() {
	ct systemctl reset-failed udsechod.service
}

# served_or_unavailable USER: true when USER is served, false when the server says it is
# unavailable (exit 69); anything else fails the check.
served_or_unavailable() {
	client "$1"
	[ "$rc" -eq 0 ] && [ "$out" = "live check" ] && return 0
	[ "$rc" -eq 69 ] && return 1
	fail "$1: exit $rc, expected 0 (served) or 69 (unavailable); error '$err'"
}

check_broken_policy_at_start() {
	check "a broken policy at start: the service stays up, clients are told it is unavailable"
	fresh_start_limit
	ct systemctl stop udsechod.service 2>/dev/null
	journal_mark
	printf 'allow user root\nallow frobnicate\n' | write_policy
	local u
	for u in root alice; do
		client "$u"
		[ "$rc" -eq 69 ] || fail "$u: exit $rc with a broken policy, expected 69; error '$err'"
		case $err in
		*"$sock: the server is unavailable: "*"could not load its policy"*) ;;
		*) fail "$u: exit 69 but not the words for an unavailable server: '$err'" ;;
		esac
		ok "$u: exit 69, $err"
	done
	wait_for 10 "udsechod.service active (running)" service_running
	[ "$(ct systemctl is-failed udsechod.socket || true)" != failed ] || fail "udsechod.socket failed"
	[ "$(prop udsechod.socket ActiveState)" = active ] || fail "udsechod.socket is not active"
	ok "udsechod.socket $(prop udsechod.socket ActiveState), udsechod.service active (running)"
	local diag="$policy:2:7: error: "
	wait_for "$journal_wait" "the diagnostic in the journal" journal_has "^$diag"
	ok "journal: $(journal | grep -m1 "^$diag")"
	ct systemctl status --no-pager --lines=0 udsechod.service >"$run/status" || true
	grep -qF "$diag" "$run/status" ||
		{ cat "$run/status"; fail "systemctl status udsechod does not show '$diag'"; }
	ok "systemctl status: $(grep -m1 -F "$diag" "$run/status" | sed 's/^ *//')"
	wait_for "$journal_wait" "event=unavailable for alice" journal_has "event=unavailable .*uid=$alice "
	# Fixed, it serves within about a second (the server reads the file again every
	# second), with no restart and no reset-failed.
	local main restarts fixed=$SECONDS
	main=$(prop udsechod.service MainPID) restarts=$(prop udsechod.service NRestarts)
	policy_v1 | write_policy
	wait_for 3 "alice to be served once the policy is fixed" served_or_unavailable alice
	ok "alice is served $((SECONDS - fixed)) s after the fix"
	[ "$(prop udsechod.service MainPID)/$(prop udsechod.service NRestarts)" = "$main/$restarts" ] ||
		fail "the service was restarted to recover"
	case $(prop udsechod.service StatusText) in serving*) ;; *)
		fail "StatusText is '$(prop udsechod.service StatusText)' once fixed, expected 'serving...'" ;;
	esac
	ok "same server (pid $main), StatusText=$(prop udsechod.service StatusText)"
}

# crash PID: SIGSEGV to PID; systemd restarts the service, the next client is served.
crash() {
	local pid=$1 restarts main
	restarts=$(prop udsechod.service NRestarts)
	main=$(prop udsechod.service MainPID)
	ct kill -SEGV "$pid" || fail "kill -SEGV $pid failed"
	wait_for 15 "systemd to restart udsechod.service" restarted_after "$restarts"
	[ "$(prop udsechod.service MainPID)" != "$main" ] || fail "the same monitor still runs"
	ok "restarted (NRestarts $restarts -> $(prop udsechod.service NRestarts)), monitor pid $main -> $(prop udsechod.service MainPID)"
	expect_served alice
}

check_worker_crash() {
	check "SIGSEGV to the worker: the service is restarted"
	fresh_start_limit
	journal_mark
	local main worker
	main=$(prop udsechod.service MainPID)
	worker=$(ct pgrep -P "$main") || fail "no worker under the monitor $main"
	crash "$worker"
	journal_has "event=worker-died .*signal=SIGSEGV" ||
		fail "the monitor did not log the worker's SIGSEGV: $(journal | tail -n 5)"
	ok "logged: $(journal | grep -m1 'event=worker-died')"
}

check_monitor_crash() {
	check "SIGSEGV to the monitor: the service is restarted"
	fresh_start_limit
	journal_mark
	crash "$(prop udsechod.service MainPID)"
	journal_has "status=11/SEGV" || fail "systemd did not log the monitor's SIGSEGV"
	ok "logged: $(journal | grep -m1 'status=11/SEGV')"
}

check_security() {
	check "systemd-analyze security udsechod.service, live, at most $threshold"
	local score
	ct systemd-analyze security --no-pager udsechod.service >"$run/security" 2>&1 || true
	score=$(sed -n 's/.*Overall exposure level for udsechod.service: \([0-9.]*\).*/\1/p' "$run/security")
	[ -n "$score" ] || { cat "$run/security"; fail "no exposure score from systemd-analyze security"; }
	if awk -v s="$score" -v t="$threshold" 'BEGIN { exit !(s > t) }'; then
		grep -v '^✓' "$run/security"
		fail "the live exposure score $score is above $threshold"
	fi
	ok "$(grep 'Overall exposure level' "$run/security")"
}

dropin=/etc/systemd/system/udsechod.service.d

# add_dropin NAME TEXT; restart the service under it.
add_dropin() {
	ct mkdir -p "$dropin"
	printf '[Service]\n%s\n' "$2" | ct sh -c "cat >$dropin/$1.conf"
	ct systemctl daemon-reload
}

# sigsys_seen: since the mark, did a process of the service die of SIGSYS? The worker's is
# logged by the monitor, the monitor's (or a reload command's) by systemd.
sigsys_seen() {
	journal_has "signal=SIGSYS|status=31/SYS"
}

# Serve, reload (a valid and a broken policy), ask for the status, and stop.
exercise() {
	expect_served root
	expect_served alice
	expect_policy_refusal bob "$bob"
	expect_fs_refusal carol
	policy_v1 | write_policy
	ct systemctl reload udsechod.service || fail "systemctl reload failed on a valid policy"
	wait_policy_applied
	printf 'allow frobnicate\n' | write_policy
	! ct systemctl reload udsechod.service 2>/dev/null || fail "systemctl reload succeeded with a broken policy"
	policy_v1 | write_policy
	ct systemctl kill -s USR1 --kill-whom=main udsechod.service
	wait_for "$journal_wait" "event=status" journal_has "event=status "
	expect_served alice
	ct systemctl stop udsechod.service 2>/dev/null
}

check_filter_kill() {
	check "with SystemCallErrorNumber=kill, serving, reloading and stopping make no refused call"
	fresh_start_limit
	add_dropin 50-kill 'SystemCallErrorNumber=kill'
	# systemd 252 shows "kill" as its internal number; later versions by name.
	case $(prop udsechod.service SystemCallErrorNumber) in
	kill | 2147483646) ;;
	*) fail "the drop-in is not in force: SystemCallErrorNumber=$(prop udsechod.service SystemCallErrorNumber)" ;;
	esac
	ct systemctl restart udsechod.service || fail "udsechod.service does not start with SystemCallErrorNumber=kill"
	wait_for 10 "udsechod.service active (running)" service_running
	journal_mark
	exercise
	if sigsys_seen; then
		journal | grep -E 'SIGSYS|31/SYS'
		fail "a process of udsechod.service was killed by its system call filter"
	fi
	local result
	result=$(prop udsechod.service Result)/$(prop udsechod.service ExecMainStatus)
	[ "$result" = success/0 ] || fail "the service ended with $result, expected success/0"
	journal_has "event=stop signal=SIGTERM" || fail "no event=stop line: the server did not stop by itself"
	ok "no SIGSYS; stopped with success, status 0"
}

check_filter_negative() {
	check "negative control: without accept4 in the filter, the worker dies of SIGSYS and it is seen"
	fresh_start_limit
	add_dropin 60-no-accept4 'SystemCallFilter=~accept4'
	journal_mark
	client root
	[ "$rc" -ne 0 ] || fail "root was served although accept4 is filtered out"
	wait_for "$journal_wait" "SIGSYS in the journal" sigsys_seen
	ok "client exit $rc; $(journal | grep -m1 -E 'SIGSYS|31/SYS')"
	# The connection stays queued, so each restart dies on it until the start limit takes
	# the socket down too: stop both, remove the drop-ins, start the socket again.
	ct systemctl stop udsechod.socket udsechod.service 2>/dev/null
	ct rm -f "$dropin/60-no-accept4.conf" "$dropin/50-kill.conf"
	ct systemctl daemon-reload
	ct systemctl reset-failed udsechod.socket udsechod.service
	ct systemctl start udsechod.socket
	expect_served alice
}

check_second_boot() {
	check "a second boot of the same image: the enabled socket is up again"
	shutdown_container
	boot
	[ "$(prop udsechod.socket ActiveState)" = active ] || fail "udsechod.socket is not active after boot"
	[ "$(prop udsechod.service ActiveState)" = inactive ] || fail "udsechod.service runs before any client"
	check_node
	expect_served alice
	expect_policy_refusal bob "$bob"
	wait_for 10 "udsechod.service active (running)" service_running
	ok "socket up at boot, service activated by the first client"
}

main() {
	preflight
	trap cleanup EXIT
	trap 'say "interrupted"; exit 130' INT
	trap 'say "terminated"; exit 143' TERM
	local start=$SECONDS
	build_usr
	ensure_tree
	note_run_systemd
	make_overlay
	boot
	install_tree
	check_sysusers
	check_catalog
	check_enable_socket
	check_node
	check_activation
	make_users
	check_default_policy
	check_reload_to_v1
	check_users
	check_journal_decisions
	check_journal_native
	check_reload_revokes
	check_reload_broken
	check_stop_reactivation
	check_broken_policy_at_start
	check_worker_crash
	check_monitor_crash
	check_security
	check_filter_kill
	check_filter_negative
	check_second_boot
	cleanup
	check_nothing_left
	say "all live checks passed in $((SECONDS - start)) s"
}

main
