#!/usr/bin/env bash
# Stop the one-node cluster of tests/slurm/start_slurm.sh: cancel its jobs,
# then stop slurmd, slurmctld and munged by the PIDs in their pid files (only
# processes of the expected name), and remove the /etc/slurm/slurm.conf
# symlink if it points to our config. Packages, logs and the state directory
# stay. Idempotent: with nothing running it does nothing.
set -uo pipefail

STATE=${SHEPCORE_SLURM_STATE:-/tmp/shepcore-slurm}
CONF=$STATE/slurm.conf
ETC_CONF=/etc/slurm/slurm.conf

say() { echo "stop_slurm: $*" >&2; }

# pid_of NAME PIDFILE: the PID, if the pid file names a live process called NAME.
pid_of() {
    local pid
    [ -s "$2" ] || return 1
    pid=$(cat "$2")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$1" ] || return 1
    echo "$pid"
}

# stop NAME:PIDFILE...: SIGTERM to each, up to 10 s grace, then SIGKILL.
stop() {
    local item name pidfile pid pids=() t=0
    for item in "$@"; do
        name=${item%%:*}
        pidfile=${item#*:}
        if pid=$(pid_of "$name" "$pidfile"); then
            say "stopping $name (pid $pid)"
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
        rm -f "$pidfile"
    done
    for pid in "${pids[@]}"; do
        while [ -d "/proc/$pid" ] && [ "$t" -lt 50 ]; do
            sleep 0.1
            t=$((t + 1))
        done
        if [ -d "/proc/$pid" ]; then
            say "pid $pid ignored SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
}

# Jobs first, while the controller still answers: no job outlives the cluster.
if pid_of slurmctld "$STATE/slurmctld.pid" >/dev/null \
    && [ "$(readlink "$ETC_CONF" 2>/dev/null)" = "$CONF" ]; then
    jobs=$(squeue -h -o %i 2>/dev/null)
    if [ -n "$jobs" ]; then
        say "cancelling remaining jobs: $(echo $jobs)"
        # shellcheck disable=SC2086
        scancel --full --quiet $jobs 2>/dev/null || true
        for _ in $(seq 50); do
            [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
            sleep 0.2
        done
    fi
fi

# Both SLURM daemons at once, then munged (they authenticate through it).
stop "slurmd:$STATE/slurmd.pid" "slurmctld:$STATE/slurmctld.pid"
stop "munged:$STATE/munge/munged.pid"

if [ "$(readlink "$ETC_CONF" 2>/dev/null)" = "$CONF" ]; then
    rm -f "$ETC_CONF"
fi
exit 0
