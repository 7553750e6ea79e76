#!/usr/bin/env bash
# make slurm-test: examples/slurm/submit.sh, unmodified, on a real single-node Slurm.
#
# Debian 12's slurm-wlm (22.05) and munge are installed if missing (apt-get; root). A
# private munged (its own key and socket) and slurmctld + slurmd (a slurm.conf in a
# temporary directory, ports of their own, SlurmdParameters=config_overrides so the
# one node may claim the 64 CPUs and 64 GB the array asks for) run for the test and are
# stopped at the end, whatever happens. The cases, on generated images with unreadable
# files among them and the tiny fixture model:
#
#   1. a task fails (its part's fingerprint path is a directory: an I/O error): the
#      other tasks complete, the merge is cancelled (--kill-on-invalid-dep), no all.jsonl;
#   2. the same submission again, the cause removed: the complete parts find nothing to
#      do, the failed task runs, the merge completes; all.jsonl equals a single run's
#      file byte for byte (and one at --batch-size 1);
#   3. a submission with other labels into the same OUT: every task refuses its part
#      (exit status 2, naming the labels), the merge is cancelled, all.jsonl unchanged.
#
# ZEROSHOT_BIN (default bin/zeroshot) and GOBENCH (build/bench/gobench, for the images)
# are built by the Makefile target. SLURM_TEST_IMAGES (default 40), KEEP=1 keeps the
# work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ZS=${ZEROSHOT_BIN:-$ROOT/bin/zeroshot}
GOBENCH=${GOBENCH:-$ROOT/build/bench/gobench}
MODEL=$ROOT/testdata/models/tiny-l14
N=${SLURM_TEST_IMAGES:-40}
T0=$(date +%s)

log() { printf 'slurm-test: %s\n' "$*"; }
fail() {
	printf 'slurm-test: FAIL: %s\n' "$*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || fail "run as root: slurmd runs jobs as their user, and missing packages are installed with apt-get"
[ -x "$ZS" ] || fail "$ZS: not built (make build)"
[ -x "$GOBENCH" ] || fail "$GOBENCH: not built"

# --- packages -------------------------------------------------------------------------
missing=()
for p in slurm-wlm munge; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]} (apt-get)"
	# Keep the packages' own services from starting: this test runs its own daemons.
	own_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		own_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	[ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
fi
log "$(slurmd -V), $(munged -V 2>&1 | head -1)"

# --- daemons --------------------------------------------------------------------------
W=$(mktemp -d /tmp/zeroshot-slurm.XXXXXX)
chmod 755 "$W"
pids=()
cleanup() {
	local rc=$?
	if [ -f "$W/slurm.conf" ]; then
		SLURM_CONF=$W/slurm.conf scancel --quiet --user=root 2>/dev/null || true
	fi
	for f in "$W/slurmd.pid" "$W/slurmctld.pid" "$W/munge/munged.pid"; do
		[ -s "$f" ] && pids+=("$(cat "$f")")
	done
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	done
	if [ "$rc" -ne 0 ]; then
		for f in "$W/slurmctld.log" "$W/slurmd.log"; do
			[ -f "$f" ] && { echo "--- last lines of $f"; tail -n 20 "$f"; }
		done
	fi
	if [ "${KEEP:-}" = 1 ]; then log "kept $W"; else rm -rf "$W"; fi
	log "daemons stopped"
}
trap cleanup EXIT

mkdir -p "$W/munge" "$W/state" "$W/spool"
chmod 700 "$W/munge"
dd if=/dev/urandom of="$W/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$W/munge/munge.key"
munged --force --socket="$W/munge/munge.sock" --key-file="$W/munge/munge.key" \
	--pid-file="$W/munge/munged.pid" --log-file="$W/munge/munged.log" --seed-file="$W/munge/munged.seed"

host=$(hostname -s)
# Two free ports (bash's /dev/tcp: a fresh Debian image may lack ss and netstat).
listening() { (: >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=$((20000 + RANDOM % 20000))
while listening "$port" || listening $((port + 1)); do port=$((port + 2)); done
cat >"$W/slurm.conf" <<CONF
ClusterName=zeroshot-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$W/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/slurmctld.pid
SlurmdPidFile=$W/slurmd.pid
SlurmctldLogFile=$W/slurmctld.log
SlurmdLogFile=$W/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$W/jobcomp.txt
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=3600
SlurmdParameters=config_overrides
NodeName=$host NodeAddr=127.0.0.1 CPUs=64 RealMemory=65536 State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$W/slurm.conf
slurmctld -i
slurmd
for i in $(seq 60); do
	state=$(sinfo -h -o %T 2>/dev/null || true)
	[ "$state" = idle ] && break
	[ "$i" -lt 60 ] || fail "the node did not come up (sinfo: ${state:-nothing})"
	sleep 1
done
log "slurmctld and slurmd up in $(($(date +%s) - T0)) s: node $host idle"

# --- data -----------------------------------------------------------------------------
bad=$((N / 10))
"$GOBENCH" scale-images -dir "$W/photos" -n "$N" -bad "$bad" >/dev/null
printf '# the classify run\ncat\ndog\nladybird\n' >"$W/labels.txt"
printf 'car\nboat\nplane\n' >"$W/labels-other.txt"
mkdir -p "$W/bin" "$W/out" "$W/logs"
ln -s "$ZS" "$W/bin/zeroshot"
export PATH=$W/bin:$PATH IMAGES=$W/photos LABELS=$W/labels.txt MODEL=$MODEL OUT=$W/out
log "$N generated images ($bad unreadable) in $IMAGES, labels: cat, dog, ladybird, model: tiny-l14"

# submit runs examples/slurm/submit.sh from the logs directory and waits for its jobs;
# it sets JID and MID.
submit() {
	local out
	out=$(cd "$W/logs" && "$ROOT/examples/slurm/submit.sh")
	echo "    submit.sh: $out"
	JID=$(sed -n 's/^submitted array job \([0-9]*\) and merge job \([0-9]*\).*/\1/p' <<<"$out")
	MID=$(sed -n 's/^submitted array job \([0-9]*\) and merge job \([0-9]*\).*/\2/p' <<<"$out")
	[ -n "$JID" ] && [ -n "$MID" ] || fail "submit.sh said: $out"
	for i in $(seq 600); do
		[ -z "$(squeue -h -j "$JID,$MID" -o %i 2>/dev/null)" ] && return 0
		sleep 1
	done
	fail "jobs $JID, $MID still queued after 10 minutes"
}

# states prints the array's task states (counted) and the merge's state and reason, and
# sets TASKS and MERGE.
states() {
	TASKS=$(scontrol show job -o "$JID" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | awk '{printf "%s%s×%s", sep, $1, substr($2, 10); sep=", "}')
	MERGE=$(scontrol show job -o "$MID" | grep -o 'JobState=[A-Z_]* Reason=[^ ]*' | sed 's/JobState=//; s/Reason=//')
	echo "    array $JID: $TASKS; merge $MID: $MERGE"
}

task_state() { scontrol show job -o "${JID}_$1" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }
task_exit() { scontrol show job -o "${JID}_$1" | grep -o ' ExitCode=[0-9:]*' | cut -d= -f2; }
records() { wc -l <"$1" | tr -d ' '; }
errors() { grep -c '"error":' "$1" || true; }

# --- 1. a failing task ----------------------------------------------------------------
log "1. one task fails (shard-3.jsonl.run.json is a directory: the task cannot write its part)"
mkdir "$OUT/shard-3.jsonl.run.json"
submit
states
[ "$(task_state 3)" = FAILED ] || fail "task 3: $(task_state 3), want FAILED"
for k in 0 1 2 4 5 6 7; do [ "$(task_state $k)" = COMPLETED ] || fail "task $k: $(task_state $k)"; done
case "$MERGE" in CANCELLED*DependencyNeverSatisfied*) ;; *) fail "merge: $MERGE, want CANCELLED (DependencyNeverSatisfied)" ;; esac
[ ! -e "$OUT/all.jsonl" ] || fail "all.jsonl exists after a failed task"
echo "    task 3 exit $(task_exit 3): $(grep 'zeroshot classify: ' "$W/logs/zeroshot-classify-${JID}_3.log" | tail -n 1)"
echo "    the merge never ran: cancelled, not PENDING forever; no all.jsonl"

# --- 2. resubmission ------------------------------------------------------------------
log "2. the cause removed, submit.sh again with the same variables"
rmdir "$OUT/shard-3.jsonl.run.json"
submit
states
for k in $(seq 0 7); do [ "$(task_state "$k")" = COMPLETED ] || fail "task $k: $(task_state "$k")"; done
case "$MERGE" in COMPLETED*) ;; *) fail "merge: $MERGE, want COMPLETED" ;; esac
done_before=$(grep -l 'exists and is complete; nothing to do' "$W"/logs/zeroshot-classify-"${JID}"_*.log | wc -l)
echo "    $done_before tasks found their part complete (nothing to do), task 3 classified its shard"
echo "    merge: $(grep -m1 'zeroshot merge:' "$W/logs/zeroshot-merge-$MID.log")"
[ "$done_before" = 7 ] || fail "$done_before tasks found nothing to do, want 7"
all=$OUT/all.jsonl
[ "$(records "$all")" = "$N" ] || fail "all.jsonl: $(records "$all") records, want $N"
[ "$(errors "$all")" = "$bad" ] || fail "all.jsonl: $(errors "$all") error records, want $bad"
[ "$(stat -c %a "$all")" = 644 ] || fail "all.jsonl mode $(stat -c %a "$all"), want 644 (umask 022)"
status=0
zeroshot classify "$IMAGES" --labels-file "$LABELS" --model "$MODEL" --output "$W/single.jsonl" --progress off 2>/dev/null || status=$?
[ "$status" = 3 ] || fail "the single run exited $status, want 3 (unreadable images)"
zeroshot classify "$IMAGES" --labels-file "$LABELS" --model "$MODEL" --output "$W/single-b1.jsonl" --batch-size 1 --progress off 2>/dev/null || true
cmp "$all" "$W/single.jsonl" || fail "all.jsonl differs from the single run's file"
cmp "$all" "$W/single-b1.jsonl" || fail "all.jsonl differs from the single run's file at --batch-size 1"
fp() { sed -n 's/^  "fingerprint": "\(.*\)",$/\1/p' "$1"; }
[ "$(fp "$all.run.json")" = "$(fp "$W/single.jsonl.run.json")" ] || fail "the merged fingerprint is not the single run's"
echo "    all.jsonl: $(records "$all") records ($(errors "$all") unreadable images), byte for byte the single run's file (--batch-size 8 and 1; sha256 $(sha256sum <"$all" | cut -c1-16)), mode 644, fingerprint $(fp "$all.run.json" | cut -c1-19)"

# --- 3. a resubmission with other labels ----------------------------------------------
log "3. submit.sh with other labels into the same OUT"
cp "$all" "$W/all.before"
LABELS=$W/labels-other.txt submit
states
for k in $(seq 0 7); do
	[ "$(task_state "$k")" = FAILED ] || fail "task $k: $(task_state "$k"), want FAILED (refused)"
	[ "$(task_exit "$k")" = 2:0 ] || fail "task $k: exit $(task_exit "$k"), want 2:0"
done
case "$MERGE" in CANCELLED*DependencyNeverSatisfied*) ;; *) fail "merge: $MERGE, want CANCELLED" ;; esac
cmp "$all" "$W/all.before" || fail "all.jsonl changed"
msg=$(grep -h -A1 'was written by another run' "$W/logs/zeroshot-classify-${JID}_0.log" | tr -s ' ' | paste -sd' ')
[ -n "$msg" ] || fail "task 0's log does not say why it refused"
echo "    every task refused (exit 2): $msg"
echo "    all.jsonl unchanged"

log "passed in $(($(date +%s) - T0)) s (Slurm $(slurmd -V | cut -d' ' -f2), one node, 8-task array, $N images)"
