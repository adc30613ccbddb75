#!/usr/bin/env bash
# Installs what mdeploy needs on a fresh Debian machine, and nothing when it is already there:
# the npm dependencies (which bring the pinned Node 24), etcd from Debian's etcd-server,
# openssl (the TLS tests make their certificates with it at test time), git (GitOps sync runs
# the git CLI), prometheus (the dashboards test runs every panel's query against a real one) and
# chromium (the status page's browser test drives it headless).
set -euo pipefail
cd "$(dirname "$0")/.."

lock_hash() { sha256sum package-lock.json | cut -d' ' -f1; }
if [ ! -x node_modules/.bin/node ] || [ ! -f node_modules/.mdeploy-lock ] || [ "$(cat node_modules/.mdeploy-lock)" != "$(lock_hash)" ]; then
  echo "==> installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  lock_hash > node_modules/.mdeploy-lock
fi

if ! command -v etcd >/dev/null 2>&1; then
  echo "==> installing etcd (Debian etcd-server, etcd-client)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "etcd is missing and this user cannot install it: run 'apt-get install etcd-server etcd-client' as root" >&2; exit 1; }
    SUDO=sudo
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends etcd-server etcd-client >/dev/null
fi
if ! command -v openssl >/dev/null 2>&1; then
  echo "==> installing openssl (Debian openssl)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "openssl is missing and this user cannot install it: run 'apt-get install openssl' as root" >&2; exit 1; }
    SUDO=sudo
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends openssl >/dev/null
fi
if ! command -v git >/dev/null 2>&1; then
  echo "==> installing git (Debian git)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "git is missing and this user cannot install it: run 'apt-get install git' as root" >&2; exit 1; }
    SUDO=sudo
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends git >/dev/null
fi
if ! command -v prometheus >/dev/null 2>&1; then
  echo "==> installing prometheus (Debian prometheus)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "prometheus is missing and this user cannot install it: run 'apt-get install prometheus' as root" >&2; exit 1; }
    SUDO=sudo
  fi
  $SUDO apt-get update -qq
  # --no-install-recommends keeps out the node exporter. Like etcd-server, the package may start its
  # own service where systemd runs; tests never use it (each starts one on a free port).
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "==> installing chromium (Debian chromium; the status page's browser test drives it headless)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "chromium is missing and this user cannot install it: run 'apt-get install chromium' as root" >&2; exit 1; }
    SUDO=sudo
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
# Read the whole output before cutting it: `| head -1` closes the pipe early and etcd dies of
# SIGPIPE, which pipefail turns into a failed install about half the time.
etcd_version="$(etcd --version 2>&1 || true)"
echo "${etcd_version%%$'\n'*}"
echo "node $(node_modules/.bin/node --version)"
git --version
prometheus_version="$(prometheus --version 2>&1 || true)"
echo "${prometheus_version%%$'\n'*}"
