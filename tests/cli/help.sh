#!/usr/bin/env bash
# The CLI's front door: --help lists commands, --version, unknown commands/options fail
# with a message naming them, and only rank 0 prints under mpiexec.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$PANCAN" --help)
grep -q "^usage: pancan <command>" <<<"$out" || fail "--help has no usage line"
for cmd in synth convert prepare train evaluate predict report knn cv run sweep leaderboard; do
  grep -qE "^  $cmd +[a-z]" <<<"$out" || fail "--help does not list $cmd"
done

"$PANCAN" --version | grep -qE '^pancan [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"

set +e
err=$("$PANCAN" frobnicate 2>&1 >/dev/null); rc=$?
set -e
[[ $rc == 2 ]] || fail "unknown command exit $rc, want 2"
grep -q "unknown command 'frobnicate'" <<<"$err" || fail "unknown command message: $err"

set +e
err=$("$PANCAN" synth --sample 5 2>&1 >/dev/null); rc=$?
set -e
[[ $rc == 2 ]] || fail "unknown option exit $rc, want 2"
grep -q "sample" <<<"$err" || fail "unknown option message does not name it: $err"
[[ $(grep -c "pancan: error" <<<"$err") == 1 ]] || fail "want exactly one error line: $err"

# Under 3 ranks, help and errors are printed once (rank 0 only).
out=$("$MPIEXEC" --oversubscribe -n 3 "$PANCAN" --help)
[[ $(grep -c "^usage: pancan" <<<"$out") == 1 ]] || fail "help printed more than once under mpiexec"
set +e
err=$("$MPIEXEC" --oversubscribe -n 3 "$PANCAN" synth --sample 5 2>&1 >/dev/null); rc=$?
set -e
[[ $rc != 0 ]] || fail "error under mpiexec exited 0"
[[ $(grep -c "pancan: error" <<<"$err") == 1 ]] || fail "error printed more than once under mpiexec: $err"

# Every command documents its options and defaults.
for cmd in synth convert prepare train evaluate predict report knn cv run sweep leaderboard; do
  h=$("$PANCAN" "$cmd" --help)
  grep -q "^usage: pancan $cmd" <<<"$h" || fail "$cmd --help has no usage line"
  grep -q -- "--config" <<<"$h" || fail "$cmd --help lacks --config"
done
echo "help: ok"
