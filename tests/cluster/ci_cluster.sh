#!/usr/bin/env bash
# CI step (.ci/run): the shipped review on a single-node SLURM cluster with accounting.
# Installs Debian's packages, starts the cluster (start_slurm.sh), runs the cluster test
# (test_slurm_cluster.py: SLURM job ids, sacct states, byte-identical results, faults),
# and always stops the cluster again (stop_slurm.sh, by PID).
# It skips, saying why, when it cannot be root or cannot install the packages. Everything,
# install included, has TRIALMETA_CLUSTER_BUDGET seconds (default 600); past that it fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
HERE=tests/cluster
BUDGET="${TRIALMETA_CLUSTER_BUDGET:-600}"
T0=$SECONDS
DEADLINE=$((T0 + BUDGET))
STATE=""

skip() { echo "== SLURM cluster test SKIPPED: $*"; exit 0; }
fail() { echo "== SLURM cluster test FAILED: $*"; exit 1; }
left() { echo $((DEADLINE - SECONDS > 1 ? DEADLINE - SECONDS : 1)); }
cleanup() {
    if [[ -n $STATE && -d $STATE/pids ]]; then
        local t=$SECONDS
        "$HERE/stop_slurm.sh" "$STATE"
        echo "   cluster stopped in $((SECONDS - t)) s"
    fi
}
trap cleanup EXIT

[[ $EUID == 0 ]] || skip "not root (slurmd and apt-get need root)"
command -v apt-get >/dev/null || skip "no apt-get: the test cluster uses Debian's packages"
[[ -e /etc/slurm/slurm.conf ]] && skip "this machine has its own SLURM (/etc/slurm/slurm.conf)"
python3 -c "import snakemake_executor_plugin_slurm" 2>/dev/null \
    || skip "snakemake-executor-plugin-slurm is not installed (pip install -e '.[cluster]')"

echo "== SLURM cluster test (budget ${BUDGET} s for install + start + run)"
t=$SECONDS
timeout "$(left)" "$HERE/start_slurm.sh" --install-only \
    || skip "could not install the Debian packages (slurm-wlm slurmdbd munge mariadb-server)"
T_INSTALL=$((SECONDS - t))
echo "   packages ready in ${T_INSTALL} s"

t=$SECONDS
STATE="$(mktemp -d "${TMPDIR:-/tmp}/trialmeta-slurm.XXXXXX")"
timeout "$(left)" "$HERE/start_slurm.sh" "$STATE" >/dev/null \
    || fail "the test cluster did not start (logs were in $STATE/log)"
T_START=$((SECONDS - t))
echo "   cluster up in ${T_START} s"

t=$SECONDS
# shellcheck disable=SC1091
( source "$STATE/env.sh" && timeout "$(left)" python3 -m pytest -m cluster "$HERE" \
    -p no:cacheprovider )
rc=$?
T_TEST=$((SECONDS - t))
[[ $rc == 124 ]] && fail "over the ${BUDGET} s budget after ${T_TEST} s of tests"
[[ $rc == 0 ]] || fail "pytest exit $rc"
echo "== SLURM cluster test passed: install ${T_INSTALL} s, start ${T_START} s," \
     "test ${T_TEST} s, total $((SECONDS - T0)) s of ${BUDGET} s"
