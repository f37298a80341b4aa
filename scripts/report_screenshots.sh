#!/usr/bin/env bash
# Screenshots of the Harbin report (top, map with a grid searched and clicked, tables) into docs/screenshots/:
# what planners see. The page is driven in headless Chromium the way the report test drives it
# (tests/it/report_browser.rs); needs chromium and chromium-driver (Debian packages).
# Usage: scripts/report_screenshots.sh [RUN_DIR]   (default outputs/harbin, made first if it has no report)
set -euo pipefail
cd "$(dirname "$0")/.."
RUN="${1:-outputs/harbin}"
if [ ! -f "$RUN/report.html" ]; then
  cargo run --release -- plan datasets/harbin/harbin.osm.pbf \
    --division-codes datasets/china-admin/heilongjiang_divisions.csv --out "$RUN"
fi
GRIDPLAN_SCREENSHOT_RUN="$(realpath "$RUN")" GRIDPLAN_SCREENSHOTS="$PWD/docs/screenshots" \
  cargo test --test it report_screenshots -- --ignored
ls -l docs/screenshots
