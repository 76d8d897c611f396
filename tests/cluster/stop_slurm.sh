#!/usr/bin/env bash
# Stop the test cluster that tests/cluster/start_slurm.sh started in STATE_DIR:
# cancel its jobs, then end exactly the daemons it recorded (STATE_DIR/pids/*.pid, each
# "PID EXECUTABLE"), newest first: SIGTERM, up to 30 s, then SIGKILL. A PID whose process
# is gone or now runs another program is skipped, so nothing else is ever signalled.
# Usage: tests/cluster/stop_slurm.sh [--keep] [STATE_DIR]   (default: $TRIALMETA_SLURM_STATE)
#   --keep   keep STATE_DIR (logs, configs); otherwise it is deleted once all daemons are gone.
set -uo pipefail

log() { printf '[stop_slurm] %s\n' "$*" >&2; }
KEEP=0
if [[ ${1:-} == --keep ]]; then KEEP=1; shift; fi
STATE="${1:-${TRIALMETA_SLURM_STATE:-}}"
[[ -n $STATE && -d $STATE/pids ]] || { log "ERROR: no cluster state in '${STATE}'"; exit 1; }

alive() {  # alive PID EXECUTABLE: the recorded process still runs the recorded program
    [[ "$(readlink "/proc/$1/exe" 2>/dev/null)" == "$2" ]]
}

ctld="$(cat "$STATE"/pids/*-slurmctld.pid 2>/dev/null)"
if [[ -n $ctld ]] && alive $ctld && [[ -f $STATE/etc/slurm.conf ]]; then
    export SLURM_CONF="$STATE/etc/slurm.conf"
    jobs="$(squeue -h -o %A 2>/dev/null | tr '\n' ' ')"
    if [[ -n ${jobs// /} ]]; then
        log "cancelling jobs: $jobs"
        # shellcheck disable=SC2086
        scancel $jobs 2>/dev/null
        for _ in $(seq 30); do
            [[ -z "$(squeue -h -o %A 2>/dev/null)" ]] && break
            sleep 1
        done
    fi
fi

status=0
for f in $(ls -r "$STATE"/pids/*.pid 2>/dev/null); do
    read -r pid exe <"$f"
    name="$(basename "$f" .pid)"; name="${name#*-}"
    if ! alive "$pid" "$exe"; then
        log "$name (pid $pid) already gone"
        continue
    fi
    kill -TERM "$pid"
    for _ in $(seq 300); do alive "$pid" "$exe" || break; sleep 0.1; done
    if alive "$pid" "$exe"; then
        log "$name (pid $pid) ignored SIGTERM for 30 s: SIGKILL"
        kill -KILL "$pid"
        sleep 0.5
    fi
    if alive "$pid" "$exe"; then
        log "ERROR: $name (pid $pid) still runs"; status=1
    else
        # It has exited; give PID 1 a moment to reap it, so ps no longer lists it.
        for _ in $(seq 50); do [[ -e /proc/$pid ]] || break; sleep 0.1; done
        log "stopped $name (pid $pid)"
    fi
done

# The config link start_slurm.sh made for job steps, only if it still points here.
link=/run/slurm/conf
if [[ -L $link && "$(readlink "$link")" == "$STATE/etc" ]]; then
    rm -f "$link" && log "removed $link"
    [[ -e $STATE/run/made_conf_dir ]] && rmdir "${link%/*}" 2>/dev/null
fi

if [[ $status == 0 && $KEEP == 0 ]]; then
    rm -rf "$STATE"
    log "removed $STATE"
fi
exit $status
