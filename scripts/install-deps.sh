#!/usr/bin/env bash
# Installs the Debian packages leadsync needs to build, test and run, and only those that are missing.
# Idempotent: a second run installs nothing and says so. Works as root on a fresh Debian 12 (uses sudo otherwise).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git curl jq
  libcpprest-dev libboost-dev libssl-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev
  libsqlite3-dev sqlite3 libpq-dev libpqxx-dev postgresql
  libphonenumber-dev libpsl-dev libicu-dev libmimalloc-dev
  libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  clang-format clang-tidy
  clang libclang-rt-14-dev ccache
  chromium
  prometheus-cpp-dev libsystemd-dev prometheus systemd
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js and npm run the conformance suites; a machine may carry them outside dpkg (e.g. a vendor build),
# so look for the commands rather than the Debian package names.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present, nothing to install"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${#missing[@]} package(s): ${missing[*]}"
