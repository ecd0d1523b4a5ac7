#!/bin/sh
# run.sh - the bounded fuzz run (make fuzz): for each target, first every regression input (fuzz/regress/) and
# the committed corpus (fuzz/corpus/) once, then libFuzzer for SECONDS, growing a working corpus under the build
# directory (the committed one is only read). Prints executions, exec/s and new inputs per target; a crash fails
# the run, and its input is left as BUILD/crash-TARGET-* to be copied into fuzz/regress/TARGET/ with its fix.
#   sh fuzz/run.sh BUILD_DIR SECONDS TARGET...
set -eu
build=$1
seconds=$2
shift 2
summary=""
status=0
for t in "$@"; do
  bin=$build/fuzz_$t
  work=$build/work/$t
  mkdir -p "$work"
  inputs=$(find fuzz/regress/$t fuzz/corpus/$t -type f ! -name '.*' 2>/dev/null | sort)
  # shellcheck disable=SC2086
  if [ -n "$inputs" ] && ! "$bin" -runs=0 $inputs > "$build/replay-$t.log" 2>&1; then
    tail -n 40 "$build/replay-$t.log" >&2
    echo "fuzz: $t: a regression or corpus input fails (log: $build/replay-$t.log)" >&2
    exit 1
  fi
  max_len=4096
  [ "$t" = mainloop ] && max_len=2048
  if "$bin" "$work" "fuzz/corpus/$t" -max_total_time="$seconds" -max_len=$max_len -print_final_stats=1 \
    -artifact_prefix="$build/crash-$t-" > "$build/fuzz-$t.log" 2>&1; then
    result=ok
  else
    result=CRASH
    status=1
    tail -n 60 "$build/fuzz-$t.log" >&2
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz-$t.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$build/fuzz-$t.log")
  added=$(sed -n 's/^stat::new_units_added: *//p' "$build/fuzz-$t.log")
  cov=$(grep -o 'cov: [0-9]*' "$build/fuzz-$t.log" | tail -n 1 | cut -d' ' -f2)
  line="fuzz: $t: $result, ${execs:-?} executions in ${seconds} s (${rate:-?} exec/s), $(echo "$inputs" | grep -c . || true) regression+corpus inputs replayed, ${added:-?} new inputs, coverage ${cov:-?} edges"
  echo "$line"
  summary="$summary$line
"
done
printf '%s' "$summary" > "$build/summary.txt"
exit $status
