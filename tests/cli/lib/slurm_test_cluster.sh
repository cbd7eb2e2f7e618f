# Sourced by the SLURM ctests (tests/cli/slurm_*.sh) after they define fail(), $src and
# $scratch: a private single-node cluster directory for slurm/local-cluster, and an EXIT
# trap that, when the test failed, prints the daemons' logs and the job logs named by the
# globs in $SLURM_TEST_LOGS; that always stops the cluster; and that fails the test if any
# process of this test's cluster outlived it.
[[ $(id -u) == 0 ]] || fail "the local SLURM cluster runs its daemons as root (CI runs as root)"

# Short: the munge socket path must fit in 108 bytes.
export SLURM_LOCAL_DIR
SLURM_LOCAL_DIR=$(mktemp -d /tmp/pancan-slurm.XXXXXX)
cluster_processes() { # this test's SLURM daemons and job steps that are running, if any
  local pid
  for pid in $(ps -e -o pid=,comm= | awk '$2 ~ /^(munged|slurmctld|slurmd|slurmstepd|slurmscriptd)$/ { print $1 }'); do
    # Ours: named in the command line (--socket=DIR/..., -f DIR/etc/slurm.conf), working in
    # DIR (slurmstepd), or marked in the environment by local-cluster.
    if grep -qF -- "$SLURM_LOCAL_DIR" "/proc/$pid/cmdline" 2>/dev/null ||
      [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$SLURM_LOCAL_DIR"/* ]] ||
      { tr '\0' '\n' <"/proc/$pid/environ" | grep -qxF "PANCAN_LOCAL_CLUSTER=$SLURM_LOCAL_DIR"; } 2>/dev/null; then
      echo "$pid"
    fi
  done
}
finish() {
  local rc=$?
  trap - EXIT
  if ((rc != 0)); then
    echo "--- slurm logs (test failed) ---" >&2
    tail -n 25 "$SLURM_LOCAL_DIR"/log/slurmctld.log "$SLURM_LOCAL_DIR"/log/slurmd.log >&2 2>/dev/null || true
    for f in ${SLURM_TEST_LOGS:-}; do
      [[ -f $f ]] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }
    done
  fi
  "$src/slurm/local-cluster" stop || rc=1
  local left
  left=$(cluster_processes)
  if [[ -n $left ]]; then
    echo "FAIL: processes of the test's cluster outlived it:" >&2
    ps -o pid,ppid,comm,args -p "$(echo $left | tr ' ' ,)" >&2 || true
    rc=1
  fi
  rm -rf "$SLURM_LOCAL_DIR"
  exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM
