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

# Debian packages, each only when its command is missing, in one apt-get run.
missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server etcd-client)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v git >/dev/null 2>&1 || missing+=(git)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing ${missing[*]} (Debian)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "${missing[*]} missing and this user cannot install them: run 'apt-get install ${missing[*]}' as root" >&2; exit 1; }
    SUDO=sudo
  fi
  $SUDO apt-get update -qq
  # --no-install-recommends keeps out prometheus' node exporter. etcd-server and prometheus may start
  # their own services where systemd runs; tests never use them (each starts one on a free port).
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Read the whole output before cutting it: `| head -1` closes the pipe early and etcd dies of
# SIGPIPE, which pipefail turns into a failed install about half the time.
etcd_version="$(etcd --version 2>&1 || true)"
echo "${etcd_version%%$'\n'*}"
echo "node $(node_modules/.bin/node --version)"
git --version
prometheus_version="$(prometheus --version 2>&1 || true)"
echo "${prometheus_version%%$'\n'*}"
