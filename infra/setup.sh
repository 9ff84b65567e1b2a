#!/usr/bin/env bash
# Installs everything roomcrew needs on a fresh Debian machine, idempotently: Debian packages,
# pnpm, the node workspace, and pinned livekit-server / lk built with `go install` into .tools/.
# Each step is skipped when what it installs is already there at the pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS="$ROOT/.tools/bin"
LIVEKIT_SERVER_VERSION=1.13.5
LK_VERSION=2.16.3
PNPM_VERSION=9.15.9
DEBIAN_PACKAGES=(pocketsphinx pocketsphinx-en-us pocketsphinx-testdata flite espeak-ng sox)
export ONNXRUNTIME_NODE_INSTALL=skip # its postinstall downloads CUDA libraries and fails offline

say() { printf 'roomcrew setup: %s\n' "$*" >&2; }

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION"
fi
pnpm install --frozen-lockfile --prefer-offline --reporter=silent

command -v go >/dev/null || { say "Go is required to build livekit-server (install Go >= 1.23)"; exit 1; }
mkdir -p "$TOOLS"
if ! "$TOOLS/livekit-server" --version 2>/dev/null | grep -q "version $LIVEKIT_SERVER_VERSION\$"; then
  say "building livekit-server v$LIVEKIT_SERVER_VERSION with go install (a few minutes the first time)"
  GOBIN="$TOOLS" CGO_ENABLED=0 go install "github.com/livekit/livekit-server/cmd/server@v$LIVEKIT_SERVER_VERSION" \
    || GOBIN="$TOOLS" CGO_ENABLED=0 GOSUMDB=off go install "github.com/livekit/livekit-server/cmd/server@v$LIVEKIT_SERVER_VERSION"
  mv -f "$TOOLS/server" "$TOOLS/livekit-server"
fi
# lk is optional (roomcrew's own CLI covers dispatch, tokens and status); where the Go proxy does
# not serve livekit-cli, setup says so and goes on.
if ! "$TOOLS/lk" --version 2>/dev/null | grep -q "$LK_VERSION"; then
  say "building lk v$LK_VERSION with go install"
  GOBIN="$TOOLS" CGO_ENABLED=0 go install "github.com/livekit/livekit-cli/v2/cmd/lk@v$LK_VERSION" 2>/dev/null \
    || say "warning: lk v$LK_VERSION could not be installed from the Go module proxy; use \`roomcrew\` instead"
fi
