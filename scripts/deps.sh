#!/usr/bin/env bash
# Installs what building and testing CiviQ needs on a Debian 12 machine:
# Debian packages through apt-get (only the missing ones, only as root;
# otherwise it prints the command to run) and the Go modules.
set -euo pipefail

pkgs=(
  # Fyne (kiosk, display): cgo + OpenGL + X11
  gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
  libxinerama-dev libxi-dev libxxf86vm-dev
  # display audio (oto over ALSA)
  libasound2-dev
  # browser tests, screenshots and GUI tests under a virtual X server
  chromium chromium-driver xvfb xauth imagemagick xdotool
  # durability test (counts fsyncs), voice clips, PostgreSQL scale-out tests
  strace espeak-ng sox postgresql
  # the load-balancer example (deploy/nginx) run in front of two instances
  nginx-light
  # the printed monthly summary read back (reports browser test)
  poppler-utils
  # scripts/run.sh is checked by its test
  shellcheck
  ca-certificates git make
)

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
      apt-get update
      apt-get install -y --no-install-recommends "${missing[@]}"
    fi
  else
    echo "deps: missing Debian packages: ${missing[*]}" >&2
    echo "deps: run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

go mod download
