#!/usr/bin/env bash
# Suite `slurm`: the cluster path of docs/cluster.md on a real Slurm.
#
# Starts a one-node Slurm cluster on this machine (munged, slurmctld, slurmd; loopback only; every file in a
# temporary directory), builds actscope once (test profile), submits tests/slurm/sweep.sbatch as a job array over
# the smoke profile of the bundled sweep files (crates/lab/experiments/*.toml, embedded data), waits for it,
# merges (summarize), and checks that every run is bit-identical to a local single-process run of the same
# sweeps. Stops the daemons and removes the directory on any exit.
#
# Exit 0: passed; 77: a prerequisite is missing (provision with .ci/provision-slurm.sh); else: failed.
# Environment: ACTSCOPE_SLURM_SHARDS (array size, default 4), ACTSCOPE_SLURM_TIMEOUT (seconds the array may
# take, default 300), ACTSCOPE_SLURM_KEEP=1 (keep the temporary directory, for debugging).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
start_time=$SECONDS

say() { echo "tests/slurm: $*" >&2; }
fail() {
    say "FAILED: $*"
    exit 1
}
missing() {
    say "SKIPPED: $*"
    say "provision with: sudo .ci/provision-slurm.sh   (installs slurm-wlm and munge from apt; runs no daemon)"
    exit 77
}

# --- prerequisites ---------------------------------------------------------------------------------------------
for cmd in munged slurmctld slurmd slurmstepd sbatch srun squeue sinfo scontrol scancel; do
    command -v "$cmd" >/dev/null || missing "'$cmd' is not installed (Debian packages slurm-wlm and munge)"
done
# slurmd must be root to start job steps (it switches to the submitting user).
[ "$(id -u)" -eq 0 ] || missing "the one-node cluster needs root (slurmd launches jobs as root); run as root"

# Variables of an enclosing Slurm job (if this runs inside one) would pick another cluster or shard.
for v in $(compgen -v SLURM_); do unset "$v"; done

shards=${ACTSCOPE_SLURM_SHARDS:-4}
timeout=${ACTSCOPE_SLURM_TIMEOUT:-300}
sweeps=("$root"/crates/lab/experiments/*.toml)
[ -f "${sweeps[0]}" ] || fail "no sweep files in crates/lab/experiments"

# --- build once --------------------------------------------------------------------------------------------------
# In the test profile with the whole workspace's features: the binary `cargo test --workspace` built (run first
# by `cargo xtask test`), so this builds nothing there.
say "building actscope (test profile)"
cargo build --profile test --workspace --bin actscope --quiet
bin=${CARGO_TARGET_DIR:-$root/target}/debug/actscope
[ -x "$bin" ] || fail "cargo built no $bin"
[[ "$bin" = /* ]] || bin=$root/$bin
built_time=$SECONDS

# --- the cluster ---------------------------------------------------------------------------------------------------
# In /tmp, not $TMPDIR: munged requires every directory above its socket to be searchable by all.
tmp=$(mktemp -d /tmp/actscope-slurm.XXXXXX)
chmod 755 "$tmp"
pids=()
job=
cleanup() {
    local rc=$?
    set +e
    if [ -n "$job" ]; then
        scancel "$job" 2>/dev/null
        # Let slurmd end the job's processes before it goes away itself.
        for _ in $(seq 50); do
            [ -z "$(squeue -h -j "$job" -o %i 2>/dev/null)" ] && break
            sleep 0.2
        done
    fi
    # Daemons in reverse order of starting: slurmd, slurmctld, munged.
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill "${pids[i]}" 2>/dev/null
        for _ in $(seq 50); do
            kill -0 "${pids[i]}" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "${pids[i]}" 2>/dev/null
        wait "${pids[i]}" 2>/dev/null
    done
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
        for log in "$tmp"/slurmctld.log "$tmp"/slurmd.log "$tmp"/logs/*; do
            [ -f "$log" ] && { say "--- last lines of $log"; tail -n 20 "$log" >&2; }
        done
    fi
    if [ "${ACTSCOPE_SLURM_KEEP:-0}" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Two free TCP ports on loopback for slurmctld and slurmd (several clusters may run on one machine at once).
free_port() {
    local p
    for _ in $(seq 100); do
        p=$((20000 + RANDOM % 20000))
        if ! (: >"/dev/tcp/127.0.0.1/$p") 2>/dev/null && [[ " ${used_ports:-} " != *" $p "* ]]; then
            used_ports="${used_ports:-} $p"
            echo "$p"
            return
        fi
    done
    fail "no free TCP port on 127.0.0.1"
}
ctld_port=$(free_port)
used_ports=$ctld_port
slurmd_port=$(free_port)

mkdir -p "$tmp"/state "$tmp"/spool "$tmp"/logs
# A key of this cluster's own (the system's /etc/munge/munge.key is neither needed nor touched).
if command -v mungekey >/dev/null; then
    mungekey --create --keyfile="$tmp/munge.key"
else
    (umask 077 && dd if=/dev/urandom of="$tmp/munge.key" bs=1024 count=1 status=none)
fi
munged -F --socket="$tmp/munge.sock" --key-file="$tmp/munge.key" --log-file="$tmp/munged.log" \
    --pid-file="$tmp/munged.pid" --seed-file="$tmp/munge.seed" 2>>"$tmp/munged.log" &
pids+=($!)
for _ in $(seq 100); do
    [ -S "$tmp/munge.sock" ] && break
    sleep 0.1
done
[ -S "$tmp/munge.sock" ] || fail "munged did not start: $(tail -n 5 "$tmp/munged.log")"

cat >"$tmp/slurm.conf" <<EOF
# One-node test cluster of tests/slurm/run.sh: loopback only, no cgroups, no accounting, all state in $tmp.
ClusterName=actscopetest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge.sock
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc)
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >>"$tmp/slurmctld.log" 2>&1 &
pids+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >>"$tmp/slurmd.log" 2>&1 &
pids+=($!)
for _ in $(seq 150); do
    [ "$(sinfo -h -n localhost -o %t 2>/dev/null)" = idle ] && break
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || fail "a daemon exited at start (pid $p)"; done
    sleep 0.2
done
[ "$(sinfo -h -n localhost -o %t 2>/dev/null)" = idle ] || fail "the node did not become idle: $(sinfo 2>&1)"
cluster_time=$SECONDS
say "cluster up (slurmctld :$ctld_port, slurmd :$slurmd_port, $(nproc) CPUs); submitting $shards shards"

# --- the documented job array --------------------------------------------------------------------------------------
job=$(ACTSCOPE=$bin ACTSCOPE_PROFILE=smoke sbatch --parsable --array="0-$((shards - 1))" --cpus-per-task=1 \
    --chdir="$tmp" --output="$tmp/logs/%A_%a.out" "$root/tests/slurm/sweep.sbatch" "$tmp/cluster" "${sweeps[@]}")
job=${job%%;*}
deadline=$((SECONDS + timeout))
while [ -n "$(squeue -h -j "$job" -o %i 2>/dev/null)" ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "job array $job still running after ${timeout}s"
    sleep 0.5
done
array_time=$SECONDS

# Every array task completed with exit code 0 (the controller keeps finished jobs for MinJobAge).
states=$(scontrol -o show job "$job" | grep -o 'ArrayTaskId=[0-9]* .*JobState=[A-Z_]*' |
    sed -E 's/ArrayTaskId=([0-9]+) .*JobState=([A-Z_]+)/\1 \2/' | sort -n)
[ "$(echo "$states" | grep -c ' COMPLETED$')" -eq "$shards" ] || fail "array tasks did not all complete:
$states"

# Each task ran its own shard of every sweep (actscope read the array variables), and the shards together ran
# every run once: a task that ignored them would run the whole sweep and still leave identical results.
for sweep in "${sweeps[@]}"; do
    name=$(sed -nE 's/^name = "(.*)"/\1/p' "$sweep")
    total=$("$bin" sweep "$sweep" --profile smoke --out "$tmp/none" --shard 0/1 --dry-run | wc -l)
    sum=0
    for ((i = 0; i < shards; i++)); do
        line=$(grep -h "^$name: .* runs in shard $i/$shards: " "$tmp"/logs/"${job}_$i".out) ||
            fail "task $i did not report shard $i/$shards of $name (log: $(cat "$tmp/logs/${job}_$i.out"))"
        done_now=$(sed -E 's/.*: ([0-9]+) finished earlier, ([0-9]+) done now.*/\2/' <<<"$line")
        planned=$(sed -E 's/^[^:]*: ([0-9]+) runs in shard.*/\1/' <<<"$line")
        [ "$done_now" -eq "$planned" ] || fail "task $i: $line"
        sum=$((sum + done_now))
    done
    [ "$sum" -eq "$total" ] || fail "$name: the shards ran $sum runs, the sweep has $total"
done

# --- the same sweeps locally, one process --------------------------------------------------------------------------
for sweep in "${sweeps[@]}"; do
    "$bin" sweep "$sweep" --profile smoke --out "$tmp/local/$(basename "$sweep" .toml)" --shard 0/1 \
        --jobs "$(nproc)" --quiet
done
local_time=$SECONDS

# --- merge and compare -----------------------------------------------------------------------------------------------
# Every file of every run, by SHA-256. summary.json differs in one field only: wall_seconds, the measured training
# time; it is dropped (one line of the pretty-printed JSON) before hashing. Everything else, including the code
# fingerprint and the checksum of the records, must match byte for byte.
digest() {
    local dir=$1 run f
    (cd "$dir" && find . -mindepth 1 -name '.*' -prune -o -print | sort) >"$dir.listing"
    for run in "$dir"/*; do
        for f in config.json records.jsonl summary.json; do
            [ -f "$run/$f" ] || fail "$run has no $f"
        done
    done
    # One awk for all summaries (few processes: this runs on 2 busy cores): each without its wall_seconds line
    # into $dir.nowall/<run>.json, and an error unless there was exactly one such line.
    mkdir "$dir.nowall"
    (cd "$dir" && awk -v out="$dir.nowall" '
        function check() { if (file != "" && n != 1) bad = bad " " file }
        FNR == 1 { check(); if (dest != "") close(dest); file = FILENAME; n = 0
                   dest = FILENAME; sub("/summary.json$", ".json", dest); dest = out "/" dest }
        /^  "wall_seconds": [0-9.e+-]*,$/ { n++; next }
        { print > dest }
        END { check(); if (bad != "") { print "no single \"wall_seconds\": SECONDS, line in" bad > "/dev/stderr"; exit 1 } }
    ' */summary.json) || fail "$dir: summary.json format changed?"
    (cd "$dir" && sha256sum -- */config.json */records.jsonl)
    (cd "$dir.nowall" && sha256sum -- *.json) | sed 's/\.json$/\/summary.json but wall_seconds/'
}
runs=0
for sweep in "${sweeps[@]}"; do
    stem=$(basename "$sweep" .toml)
    for side in cluster local; do
        "$bin" summarize "$tmp/$side/$stem" --csv >"$tmp/$side-$stem.csv" ||
            fail "summarize $side/$stem failed"
        digest "$tmp/$side/$stem" >"$tmp/$side-$stem.sha256"
    done
    leftovers=$(find "$tmp/cluster/$stem" "$tmp/local/$stem" -mindepth 1 -maxdepth 1 -name '.*')
    [ -z "$leftovers" ] || fail "temporary directories left behind: $leftovers"
    cmp -s "$tmp/cluster/$stem.listing" "$tmp/local/$stem.listing" ||
        fail "$stem: the run directories differ: $(diff "$tmp/cluster/$stem.listing" "$tmp/local/$stem.listing")"
    cmp -s "$tmp/cluster-$stem.sha256" "$tmp/local-$stem.sha256" ||
        fail "$stem: runs differ between the cluster and the local run:
$(diff "$tmp/cluster-$stem.sha256" "$tmp/local-$stem.sha256" | head -n 20)"
    n=$(wc -l <"$tmp/local-$stem.sha256")
    [ "$n" -gt 0 ] || fail "$stem: no runs"
    runs=$((runs + n / 3))
    # The merged summaries (summarize --csv: every configuration's statistics, no wall times) are identical.
    [ "$(wc -l <"$tmp/local-$stem.csv")" -gt 1 ] || fail "$stem: summarize listed no configuration"
    cmp -s "$tmp/cluster-$stem.csv" "$tmp/local-$stem.csv" ||
        fail "$stem: summarize differs: $(diff "$tmp/cluster-$stem.csv" "$tmp/local-$stem.csv" | head -n 10)"
done

say "passed: $runs runs in $shards shards bit-identical to a local run (config.json, records.jsonl, summary.json" \
    "but wall_seconds); build $((built_time - start_time)) s, cluster start $((cluster_time - built_time)) s," \
    "array $((array_time - cluster_time)) s, local run $((local_time - array_time)) s, total $((SECONDS - start_time)) s"
