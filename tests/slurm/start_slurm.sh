#!/usr/bin/env bash
# Start a one-node SLURM cluster on localhost (munged, slurmctld, slurmd),
# as root and without systemd, for tests/test_slurm.py and for trying the
# SLURM profile on one machine.
#
#   tests/slurm/start_slurm.sh     # install if needed, start what is not running
#   tests/slurm/stop_slurm.sh      # stop exactly what this script started
#
# Idempotent: Debian packages are installed only when missing; a daemon whose
# pid file names a live process of the right name is left alone, so a second
# call is a no-op and a call after a daemon died (e.g. slurmctld killed)
# restarts just that daemon (slurmctld then recovers its saved job state).
#
# Everything lives in one state directory ($SHEPCORE_SLURM_STATE, default
# /tmp/shepcore-slurm): slurm.conf, pid files, logs, spool and job state, and a
# private munge socket (no clash with a system munged). /etc/slurm/slurm.conf
# is a symlink to the state directory's slurm.conf: SLURM_CONF alone is not
# enough, because the executor plugin strips SLURM_* variables before the
# job step's inner srun, which then needs the default config location.
#
# Cluster facts that need no cgroups or systemd: proctrack/linuxproc,
# task/none, select/cons_tres (cores and memory consumable), no accounting
# database (status queries use squeue; MinJobAge stays at its default 300 s,
# as the plugin falls back to sacct below 3x its first status-check delay).
set -euo pipefail

STATE=${SHEPCORE_SLURM_STATE:-/tmp/shepcore-slurm}
CONF=$STATE/slurm.conf
ETC_CONF=/etc/slurm/slurm.conf
SOCKET=$STATE/munge/munge.socket.2
NODE=localhost

say() { echo "start_slurm: $*" >&2; }
die() { say "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs Debian packages and starts daemons)"
[ -d /run/systemd/system ] && say "note: systemd is running; this script still starts the daemons itself"

# --- 1. Debian packages -----------------------------------------------------
install_packages() {
    local created_policy=0
    # Keep the package scripts from starting services (we start them below).
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    local pkgs=(munge slurmctld slurmd slurm-client)
    say "installing Debian packages: ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq "${pkgs[@]}" >"$STATE/apt.log" 2>&1; then
        apt-get update -qq >>"$STATE/apt.log" 2>&1 || true
        apt-get install -y -qq "${pkgs[@]}" >>"$STATE/apt.log" 2>&1 \
            || die "apt-get install ${pkgs[*]} failed; see $STATE/apt.log"
    fi
    if [ "$created_policy" -eq 1 ]; then
        rm -f /usr/sbin/policy-rc.d
        trap - EXIT
    fi
}

mkdir -p "$STATE"
chmod 755 "$STATE"
missing=0
for cmd in munged slurmctld slurmd sbatch squeue scontrol; do
    command -v "$cmd" >/dev/null 2>&1 || missing=1
done
[ "$missing" -eq 0 ] || install_packages
id munge >/dev/null 2>&1 || die "user 'munge' missing after installing munge"

# --- 2. helpers ---------------------------------------------------------------
# alive NAME PIDFILE: the pid file names a live process called NAME.
alive() {
    local pid
    [ -s "$2" ] || return 1
    pid=$(cat "$2")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$1" ]
}

# wait_for SECONDS COMMAND...: poll COMMAND until it succeeds.
wait_for() {
    local secs=$1 t=0
    shift
    until "$@" >/dev/null 2>&1; do
        t=$((t + 1))
        [ "$t" -le $((secs * 5)) ] || return 1
        sleep 0.2
    done
}

running_munged=0; running_ctld=0; running_slurmd=0
alive munged "$STATE/munge/munged.pid" && running_munged=1
alive slurmctld "$STATE/slurmctld.pid" && running_ctld=1
alive slurmd "$STATE/slurmd.pid" && running_slurmd=1
if [ $((running_munged + running_ctld + running_slurmd)) -eq 3 ] \
    && [ "$(readlink "$ETC_CONF" 2>/dev/null)" = "$CONF" ]; then
    say "already running (state in $STATE)"
    exit 0
fi

# --- 3. configuration (only while no SLURM daemon of ours runs) -------------
if [ -e "$ETC_CONF" ] && [ "$(readlink "$ETC_CONF" 2>/dev/null)" != "$CONF" ]; then
    die "$ETC_CONF exists and is not ours (not a symlink to $CONF); refusing to replace it"
fi
if [ "$running_ctld" -eq 0 ] && [ "$running_slurmd" -eq 0 ]; then
    mkdir -p "$STATE/ctld" "$STATE/slurmd" /etc/slurm
    hw=$(slurmd -C | head -n 1) || die "slurmd -C failed"
    # "NodeName=<host> CPUs=2 Boards=1 ... RealMemory=24105": keep the hardware.
    hw=${hw#NodeName=* }
    cat > "$CONF.new" <<EOF
# One-node test cluster written by tests/slurm/start_slurm.sh
ClusterName=shepcore
SlurmctldHost=$NODE
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
KillWait=5
NodeName=$NODE NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    mv "$CONF.new" "$CONF"
fi
ln -sfn "$CONF" "$ETC_CONF"

# --- 4. munged (as user munge, private socket) ------------------------------
if [ "$running_munged" -eq 0 ]; then
    if [ ! -s /etc/munge/munge.key ]; then
        mkdir -p /etc/munge
        if command -v mungekey >/dev/null 2>&1; then
            mungekey --create --keyfile=/etc/munge/munge.key
        else
            dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
        fi
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
    mkdir -p "$STATE/munge"
    chown munge:munge "$STATE/munge"
    chmod 755 "$STATE/munge"
    rm -f "$SOCKET" "$SOCKET.lock" "$STATE/munge/munged.pid"
    say "starting munged"
    runuser -u munge -- munged --socket="$SOCKET" --pid-file="$STATE/munge/munged.pid" \
        --log-file="$STATE/munge/munged.log" --seed-file="$STATE/munge/munged.seed" \
        || die "munged failed to start; see $STATE/munge/munged.log"
    wait_for 10 sh -c "munge -n -S '$SOCKET' | unmunge -S '$SOCKET'" \
        || die "munged does not answer on $SOCKET; see $STATE/munge/munged.log"
fi

# --- 5. slurmctld, slurmd ----------------------------------------------------
if [ "$running_ctld" -eq 0 ]; then
    if [ "$running_slurmd" -eq 0 ]; then
        say "starting slurmctld (fresh state)"
        slurmctld -c -i || die "slurmctld failed to start; see $STATE/slurmctld.log"
    else
        say "restarting slurmctld (recovering saved job state)"
        slurmctld || die "slurmctld failed to start; see $STATE/slurmctld.log"
    fi
    wait_for 30 scontrol ping \
        || die "slurmctld does not answer; see $STATE/slurmctld.log"
    alive slurmctld "$STATE/slurmctld.pid" || die "slurmctld wrote no pid file"
fi
if [ "$running_slurmd" -eq 0 ]; then
    say "starting slurmd"
    slurmd -N "$NODE" || die "slurmd failed to start; see $STATE/slurmd.log"
    wait_for 10 test -s "$STATE/slurmd.pid" || die "slurmd wrote no pid file"
fi

# The node must come up idle (or busy, when jobs survived a controller restart).
node_up() {
    local st
    st=$(sinfo -h -n "$NODE" -o %T 2>/dev/null) || return 1
    case "$st" in
        idle*|mixed*|allocated*|completing*) return 0 ;;
        down*|drain*|fail*) scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true
                            return 1 ;;
        *) return 1 ;;
    esac
}
wait_for 30 node_up || die "node $NODE is not up ($(sinfo -h -n "$NODE" -o '%T %E' 2>&1)); see $STATE/slurmd.log"
say "running: $(sinfo -h -o '%P %D nodes %c cpus %m MB %T'), state in $STATE"
