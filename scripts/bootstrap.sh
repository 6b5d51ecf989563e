#!/bin/sh
# Makes a fresh clone runnable with nothing else: installs the npm packages when they are
# missing or older than package-lock.json and, when run as root on Debian, the data-path
# tools (wireguard-go, wg, nft, ip). Safe to run again: it does nothing when all is in place.
set -eu
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: installing npm packages (npm ci)" >&2
  # stdout to stderr: `npm start -- --json` must print only its JSON line on stdout
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

missing=""
command -v wireguard-go >/dev/null 2>&1 || missing="$missing wireguard-go"
command -v wg >/dev/null 2>&1 || missing="$missing wireguard-tools"
command -v nft >/dev/null 2>&1 || missing="$missing nftables"
command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
command -v iptables >/dev/null 2>&1 || missing="$missing iptables"
# kubectl (Debian kubernetes-client): the kubectl tests against the Kubernetes API stand-in and the sandbox
command -v kubectl >/dev/null 2>&1 || missing="$missing kubernetes-client"
# containernetworking-plugins (bridge, host-local, portmap): the node network of the uninstall tests
[ -x /usr/lib/cni/bridge ] || missing="$missing containernetworking-plugins"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && [ "${EGRET_SKIP_APT:-}" != "1" ]; then
    echo "bootstrap: installing Debian packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "bootstrap: data-path tools missing ($missing ); data-path tests will be skipped outside CI" >&2
  fi
fi
