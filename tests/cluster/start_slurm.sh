#!/usr/bin/env bash
# Start a single-node SLURM cluster WITH accounting, all state in one temporary directory:
#   munged (private key and socket) -> MariaDB (private datadir and socket, no TCP) ->
#   slurmdbd -> cluster, account and user registered with `sacctmgr -i` -> slurmctld ->
#   slurmd, then a smoke job that sacct must list as COMPLETED.
# No systemd is needed: every daemon runs in the foreground, detached with setsid, and its
# PID is recorded, so tests/cluster/stop_slurm.sh ends exactly these daemons and no others.
#
# Usage (as root, which slurmd needs):
#   tests/cluster/start_slurm.sh [--install | --install-only] [STATE_DIR]
#     --install        first install the Debian 12 packages (apt-get): slurm-wlm, slurmdbd,
#                      munge, mariadb-server. Without it nothing is installed.
#     --install-only   install them, start nothing.
#     STATE_DIR   where configs, databases, logs and PID files go (default: a new mktemp -d).
# On success it prints the state directory on stdout, last line, and writes
# STATE_DIR/env.sh, which exports SLURM_CONF, SBATCH_PARTITION and SBATCH_ACCOUNT:
#   state=$(tests/cluster/start_slurm.sh | tail -n 1); source "$state/env.sh"
#   ... sbatch / srun / sacct / snakemake --profile workflow/profiles/slurm ...
#   tests/cluster/stop_slurm.sh "$state"
# Environment knobs: TRIALMETA_SLURM_TIMEOUT (seconds for each wait, default 90) and
# TRIALMETA_SLURM_PORT (first of three free TCP ports for slurmctld/slurmd/slurmdbd, 16817).
# On any failure it prints one line saying what did not come up, the tail of that daemon's
# log, stops what it had started and exits non-zero.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TIMEOUT="${TRIALMETA_SLURM_TIMEOUT:-90}"
PORT="${TRIALMETA_SLURM_PORT:-16817}"
CLUSTER=trialmeta
PARTITION=local
ACCOUNT=trialmeta_ci
PACKAGES=(slurm-wlm slurmdbd munge mariadb-server)

log() { printf '[start_slurm] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

install_packages() {
    # Debian runs a package's init script on install; a policy-rc.d answering 101 forbids
    # that (the daemons are started below, privately). An existing one is left as it is.
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
    fi
    log "apt-get install ${PACKAGES[*]}"
    local rc=0
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${PACKAGES[@]}"; } >"${TMPDIR:-/tmp}/start_slurm_apt.log" 2>&1 \
        || rc=$?
    [[ $made_policy == 1 ]] && rm -f "$policy"
    [[ $rc == 0 ]] || { tail -n 20 "${TMPDIR:-/tmp}/start_slurm_apt.log" >&2; die "apt-get failed"; }
}

INSTALL=0 START=1
case ${1:-} in
    --install) INSTALL=1; shift ;;
    --install-only) INSTALL=1; START=0; shift ;;
esac
[[ $EUID == 0 ]] || die "must run as root (slurmd runs jobs as their users); try: sudo $0"
[[ $INSTALL == 1 ]] && install_packages
[[ $START == 1 ]] || { log "packages installed: ${PACKAGES[*]}"; exit 0; }
for exe in mariadb-install-db mariadbd mariadb munged munge slurmdbd slurmctld slurmd \
           sacctmgr sinfo sacct srun scontrol; do
    command -v "$exe" >/dev/null \
        || die "$exe not found; install the Debian packages (${PACKAGES[*]}) or pass --install"
done

CONF_LINK=/run/slurm/conf
# Job steps must find the config without SLURM_CONF: the executor's job step drops every
# SLURM_* variable before it calls srun, as a job on a real cluster would read /etc/slurm.
# Without /etc/slurm/slurm.conf, Slurm clients next read /run/slurm/conf/slurm.conf (where a
# configless slurmd keeps its copy), so that path is linked to STATE/etc while the cluster
# runs; stop_slurm.sh removes the link. A machine with its own SLURM config is left alone.
[[ -e /etc/slurm/slurm.conf ]] && die "/etc/slurm/slurm.conf exists: this machine has its own" \
    "SLURM; jobs of a private test cluster would not find their config, so none is started"
if [[ -e $CONF_LINK || -L $CONF_LINK ]]; then
    die "$CONF_LINK already exists (another test cluster, or a configless slurmd?)"
fi
for p in "$PORT" $((PORT + 1)) $((PORT + 2)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        die "TCP port $p is already in use; set TRIALMETA_SLURM_PORT to a free range"
    fi
done

STATE="${1:-$(mktemp -d "${TMPDIR:-/tmp}/trialmeta-slurm.XXXXXX")}"
mkdir -p "$STATE"
STATE="$(cd "$STATE" && pwd)"
[[ -e $STATE/pids ]] && die "$STATE already holds a cluster (stop it with $HERE/stop_slurm.sh)"
mkdir -p "$STATE"/{etc,pids,log,run,munge,db,ctld,spool}
chmod 755 "$STATE" "$STATE/munge"   # munged wants its socket directory searchable

NODE="$(hostname -s)"
CPUS="$(nproc)"
MEM_MB="$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)"
CTLD_PORT=$PORT SLURMD_PORT=$((PORT + 1)) DBD_PORT=$((PORT + 2))
MUNGE_SOCKET="$STATE/munge/munge.socket"
DB_SOCKET="$STATE/run/mariadb.sock"
export SLURM_CONF="$STATE/etc/slurm.conf"
# libmariadb's default socket for "localhost": this is how slurmdbd reaches the private server.
export MYSQL_UNIX_PORT="$DB_SOCKET"

# --- daemons: start, record, wait -------------------------------------------------------

STARTED=()   # names, in start order, for the cleanup on failure
on_failure() {
    local rc=$?
    if [[ $rc != 0 && ${#STARTED[@]} -gt 0 ]]; then
        log "stopping what was started: ${STARTED[*]}"
        "$HERE/stop_slurm.sh" --keep "$STATE" >&2 || true
        log "logs kept in $STATE/log"
    fi
}
trap on_failure EXIT
trap 'exit 143' TERM INT HUP   # so that a timeout or ^C still stops what was started

# launch NAME EXE ARGS...: run EXE in the foreground of its own session, log to
# STATE/log/NAME.out, record "PID EXE" in STATE/pids/NN-NAME.pid (NN = start order).
launch() {
    local name=$1 exe=$2; shift 2
    setsid "$exe" "$@" >"$STATE/log/$name.out" 2>&1 </dev/null &
    local pid=$! path
    path="$(readlink -f "$(command -v "$exe")")"
    printf '%s %s\n' "$pid" "$path" >"$STATE/pids/$(printf '%02d' "${#STARTED[@]}")-$name.pid"
    STARTED+=("$name")
    # setsid execs in place (no fork) from a script, so $! is the daemon: check it.
    local i
    for i in $(seq 50); do
        [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$path" ]] && break
        kill -0 "$pid" 2>/dev/null || { cat "$STATE/log/$name.out" >&2; die "$name exited at once"; }
        sleep 0.1
    done
    [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$path" ]] || die "pid $pid is not $path"
    log "started $name (pid $pid)"
}

# wait_for WHAT LOGFILE PID CMD...: poll CMD every second until it succeeds, at most TIMEOUT s.
wait_for() {
    local what=$1 logfile=$2 pid=$3; shift 3
    local t0=$SECONDS
    until "$@" >/dev/null 2>&1; do
        if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
            tail -n 25 "$logfile" >&2 || true
            die "$what: the daemon (pid $pid) exited; its log is $logfile"
        fi
        if (( SECONDS - t0 >= TIMEOUT )); then
            tail -n 25 "$logfile" >&2 || true
            die "$what: not ready after ${TIMEOUT}s; see $logfile"
        fi
        sleep 1
    done
    log "$what: ready after $((SECONDS - t0))s"
}

pid_of() { cut -d' ' -f1 "$STATE"/pids/*-"$1".pid; }

T_START=$SECONDS

# munge: a fresh key, private socket
dd if=/dev/urandom of="$STATE/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$STATE/munge/munge.key"
launch munged munged --foreground --force --socket="$MUNGE_SOCKET" \
    --key-file="$STATE/munge/munge.key" --pid-file="$STATE/run/munged.pid" \
    --log-file="$STATE/log/munged.log" --seed-file="$STATE/munge/munged.seed"
munge_roundtrip() { munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET"; }
wait_for "munged" "$STATE/log/munged.log" "$(pid_of munged)" munge_roundtrip

# MariaDB: private datadir, socket only (no network), a slurm user with its own password
mariadb-install-db --no-defaults --user=root --datadir="$STATE/db" --skip-test-db \
    --auth-root-authentication-method=socket >"$STATE/log/mariadb-install.log" 2>&1 \
    || { tail -n 20 "$STATE/log/mariadb-install.log" >&2; die "mariadb-install-db failed"; }
launch mariadbd mariadbd --no-defaults --user=root --datadir="$STATE/db" \
    --socket="$DB_SOCKET" --pid-file="$STATE/run/mariadbd.pid" --skip-networking \
    --log-error="$STATE/log/mariadbd.log" \
    --innodb-buffer-pool-size=256M --innodb-lock-wait-timeout=900
db() { mariadb --no-defaults --socket="$DB_SOCKET" -u root "$@"; }
wait_for "mariadbd" "$STATE/log/mariadbd.log" "$(pid_of mariadbd)" db -e "SELECT 1"
DB_PASS="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
db -e "CREATE USER 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
       GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"

# Configs. slurmdbd.conf holds the database password: mode 600, owned by SlurmUser (root).
cat >"$STATE/etc/slurmdbd.conf" <<EOF
# Generated by tests/cluster/start_slurm.sh for a single-node test cluster.
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdHost=localhost
DbdPort=$DBD_PORT
SlurmUser=root
PidFile=$STATE/run/slurmdbd.pid
LogFile=$STATE/log/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
chmod 600 "$STATE/etc/slurmdbd.conf"

cat >"$SLURM_CONF" <<EOF
# Generated by tests/cluster/start_slurm.sh: one node ($NODE), one partition ($PARTITION),
# accounting through slurmdbd as on a real cluster (sacct lists every job).
ClusterName=$CLUSTER
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
MailProg=/bin/true
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# No cgroups (a container keeps its own; SLURM gets none to manage). Memory is enforced by
# sampling: every second jobacct_gather/linux reads each step's RSS, and OverMemoryKill
# kills a step above its --mem. The job then ends FAILED, its log saying "Exceeded job
# memory limit" (under cgroups with ConstrainRAMSpace it would end OUT_OF_MEMORY).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBD_PORT
# Connections to slurmdbd authenticate through the munge socket named here, not AuthInfo.
AccountingStoragePass=$MUNGE_SOCKET
AccountingStorageEnforce=associations
# Keep sbatch --comment (the executor writes rule_<name>) so sacct maps job ids to rules.
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
KillWait=5
InactiveLimit=0
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF

# Link the config where job steps look for it (see the check at the top).
[[ -d ${CONF_LINK%/*} ]] || { mkdir -p "${CONF_LINK%/*}" && touch "$STATE/run/made_conf_dir"; }
ln -s "$STATE/etc" "$CONF_LINK"

# slurmdbd, then the cluster, account and user (slurmctld must find them at registration)
launch slurmdbd slurmdbd -D
wait_for "slurmdbd" "$STATE/log/slurmdbd.log" "$(pid_of slurmdbd)" sacctmgr -n list cluster
sacctmgr -i add cluster "$CLUSTER" >/dev/null
sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" \
    Description="trialmeta cluster test" Organization=trialmeta >/dev/null
sacctmgr -i add user root Account="$ACCOUNT" DefaultAccount="$ACCOUNT" >/dev/null
log "registered cluster $CLUSTER, account $ACCOUNT, user root"

launch slurmctld slurmctld -D -f "$SLURM_CONF"
wait_for "slurmctld" "$STATE/log/slurmctld.log" "$(pid_of slurmctld)" scontrol ping
launch slurmd slurmd -D -f "$SLURM_CONF" -N "$NODE"
node_idle() { [[ "$(sinfo -h -n "$NODE" -o '%T')" == idle ]]; }
wait_for "slurmd (node $NODE idle)" "$STATE/log/slurmd.log" "$(pid_of slurmd)" node_idle

# A smoke job proves the whole chain: srun runs, and sacct (slurmdbd) records it COMPLETED.
smoke_id="$(sbatch --parsable -A "$ACCOUNT" -p "$PARTITION" -t 1 --mem 10 -J smoke \
    -o /dev/null --wrap true)"
smoke_done() { [[ "$(sacct -n -X -P -j "$smoke_id" -o State)" == COMPLETED ]]; }
wait_for "sacct (smoke job $smoke_id COMPLETED)" "$STATE/log/slurmdbd.log" "" smoke_done

cat >"$STATE/env.sh" <<EOF
# Source this to use the test cluster (tests/cluster/start_slurm.sh).
export SLURM_CONF=$SLURM_CONF
export SBATCH_PARTITION=$PARTITION
export SBATCH_ACCOUNT=$ACCOUNT
export TRIALMETA_SLURM_STATE=$STATE
EOF
log "cluster $CLUSTER up in $((SECONDS - T_START))s: node $NODE, $CPUS CPUs, ${MEM_MB} MB," \
    "partition $PARTITION, account $ACCOUNT"
trap - EXIT TERM INT HUP
echo "$STATE"
