#!/usr/bin/env bash
# Fuzzes every target for SECONDS each (default 300) on this machine's stable toolchain (no sanitizer: the
# targets are safe Rust, and libFuzzer's coverage and crash detection need none), then prints a line per
# target: executions and crashes. Crash inputs land in artifacts/TARGET/; once fixed, copy each (minimized
# with `cargo fuzz tmin -s none TARGET FILE`) into regressions/TARGET/, which `cargo test` replays.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-300}
targets=${TARGETS:-"geojson csv parquet pbf plan_toml whole_plan"}
[ -d corpus/geojson ] || ./seed.sh
cargo fuzz build -s none -O >/dev/null 2>&1 || cargo fuzz build -s none -O
mkdir -p logs
for t in $targets; do
  mkdir -p artifacts/$t
  cargo fuzz run -s none -O $t corpus/$t -- -max_total_time=$seconds -rss_limit_mb=4096 -timeout=30 \
    -max_len=262144 -print_final_stats=1 > logs/$t.log 2>&1 || true
  execs=$(grep -E "^stat::number_of_executed_units" logs/$t.log | awk '{print $2}')
  crashes=$(ls artifacts/$t | grep -cE '^(crash|oom|timeout|leak)-' || true)
  echo "$t: ${execs:-?} executions in ${seconds} s, ${crashes} crash/oom/timeout inputs in artifacts/$t"
done
