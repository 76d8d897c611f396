#!/usr/bin/env bash
# Render a report in headless Chromium (Debian package `chromium`) and save a screenshot,
# to check by eye that results/report.html displays without network access.
# Usage: tests/workflow/screenshot_report.sh [results/report.html] [out.png]
set -euo pipefail
report="$(realpath "${1:-results/report.html}")"
out="${2:-results/report_screenshot.png}"
browser="$(command -v chromium || command -v chromium-browser)"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,2400 \
  --screenshot="$out" "file://$report" 2>/dev/null
echo "wrote $out"
