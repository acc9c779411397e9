#!/usr/bin/env bash
# Installs the system libraries mhaudit needs that pip cannot: Pango (WeasyPrint draws the
# PDFs with it) and, for the tests and the visual review, poppler-utils (pdftotext, pdftoppm)
# and Debian's chromium (the HTML edition's accessibility test drives it with Playwright;
# Playwright's own browser download is not used).
# Safe to run again: it installs only what is missing.
set -euo pipefail

need=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib 'libpango-1.0.so' || need+=(libpango-1.0-0)
have_lib 'libpangoft2-1.0.so' || need+=(libpangoft2-1.0-0)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ "${MHAUDIT_WITH_REDIS:-0}" = 1 ]; then
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
fi
[ ${#need[@]} -eq 0 ] && exit 0

mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
echo "mhaudit: installing system packages: ${need[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "mhaudit: cannot install ${need[*]}: this is not a Debian or Ubuntu system." >&2
  echo "Install Pango 1.44 or newer, poppler-utils and chromium with your package manager, then run make again." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "mhaudit: need root to install ${need[*]}; run: apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null || { echo "mhaudit: apt-get update failed; install ${need[*]} by hand." >&2; exit 1; }
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
  || { echo "mhaudit: apt-get could not install ${need[*]}; install them by hand." >&2; exit 1; }
