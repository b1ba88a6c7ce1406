#!/usr/bin/env bash
# Install Debian's Chromium for the browser test of the HTML report and for static figures,
# when it is missing and we can (root on Debian). Say plainly when we cannot; never fail.
set -u
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is missing: installing Debian's chromium (for the report's browser test and PNG/SVG figures)…"
  if (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium) >/tmp/hecon-chromium.log 2>&1; then
    echo "Chromium installed: $(command -v chromium)"
    exit 0
  fi
  echo "Could not install Chromium (see /tmp/hecon-chromium.log); browser tests will be skipped and figures written as HTML only."
  exit 0
fi
echo "Chromium is not installed and cannot be installed here (needs root and apt-get): browser tests will be skipped and figures written as HTML only."
exit 0
