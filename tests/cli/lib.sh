# lib.sh — helpers for the CLI tests: a scratch directory removed on exit, and checks
# that count failures and print what was expected. Source it; end with `finish`, which
# exits 1 on a failure, else 77 (ctest's SKIP_RETURN_CODE: reported as skipped) if
# `skip` was called, else 0.
set -u
: "${TFG_BIN:?set by ctest}" "${TFG_SRC:?set by ctest}"
T=$(mktemp -d /tmp/tfg_cli_XXXXXX)
trap 'rm -rf "$T"' EXIT
FAILS=0
CHECKS=0
SKIPS=0
# The shared folder (reference models with TFLM's outputs): $TFG_SHARED, else shared/
# beside the repository.
SHARED=${TFG_SHARED:-$TFG_SRC/../shared}

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { CHECKS=$((CHECKS + 1)); }
# skip WHY: some checks cannot run here (a tool or data set is missing); say which.
skip() { echo "SKIP: $*"; SKIPS=$((SKIPS + 1)); }

# run CMD...: runs it, keeps stdout in $T/out, stderr in $T/err, status in $RC.
run() { "$@" >"$T/out" 2>"$T/err"; RC=$?; }

# expect_rc CODE: the last run's exit status.
expect_rc() {
  ok
  [ "$RC" = "$1" ] || fail "exit status $RC, expected $1 (stderr: $(head -c 600 "$T/err"))"
}

# expect_err TEXT: the last run's stderr contains TEXT.
expect_err() {
  ok
  grep -qF -- "$1" "$T/err" || fail "stderr lacks '$1': $(head -c 600 "$T/err")"
}

# expect_out TEXT: the last run's stdout contains TEXT.
expect_out() {
  ok
  grep -qF -- "$1" "$T/out" || fail "stdout lacks '$1': $(head -c 600 "$T/out")"
}

# expect_one_error: exactly one "error:" line on stderr and no sanitizer report.
expect_one_error() {
  ok
  n=$(grep -c 'tinyforge: error:' "$T/err")
  [ "$n" = 1 ] || fail "expected one error line, got $n: $(head -c 600 "$T/err")"
  ! grep -qE 'Sanitizer|runtime error' "$T/err" || fail "sanitizer report: $(head -c 2000 "$T/err")"
}

# json_get FILE EXPR: a value from a JSON file (python3 expression over `j`).
json_get() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

finish() {
  echo "$((CHECKS - FAILS)) passed, $FAILS failed, $SKIPS skipped"
  [ "$FAILS" = 0 ] || return 1
  [ "$SKIPS" = 0 ] || return 77
}
