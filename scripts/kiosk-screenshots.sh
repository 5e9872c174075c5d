#!/usr/bin/env bash
# Screenshots of the real kiosk binary under Xvfb (docs/screenshots/kiosk-*.png):
# home, confirmation, printer fault and offline, in portrait 1080x1920 and
# landscape 1920x1080. Needs xvfb, xdotool and imagemagick (import).
# Usage: scripts/kiosk-screenshots.sh [bin-dir]   (default: bin)
set -euo pipefail
bin=${1:-bin}
out=docs/screenshots
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

addr=127.0.0.1:18591
start_server() {
  "$bin/server" --addr "$addr" --data "$work/data" >"$work/server.log" 2>&1 &
  server_pid=$!
  pids+=($server_pid)
  for _ in $(seq 1 100); do curl -fsS "http://$addr/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
start_server
"$bin/server" device --data "$work/data" --kind kiosk --name "Ki-ốt ảnh chụp" >"$work/kiosk.token"

shoot() { # orientation W H
  local o=$1 w=$2 h=$3
  # Tap points of the first field tile and of the Done button, per layout.
  local tx ty
  # (the second row of tiles, which a printer-fault banner does not move off)
  if [[ $o == portrait ]]; then tx=270 ty=850; else tx=240 ty=600; fi
  xvfb-run -a -s "-screen 0 ${w}x${h}x24" bash -c '
    set -euo pipefail
    kiosk() { "'"$bin"'/kiosk" --server "http://'"$addr"'" --token-file "'"$work"'/kiosk.token" --spool "'"$work"'/spool-'"$o"'" --fullscreen --confirm 60s --idle 60s --poll 1s "$@" >/dev/null 2>>"'"$work"'/kiosk.log" & echo $!; }
    snap() { sleep "$1"; import -window root "'"$out"'/kiosk-$2-'"$o"'.png"; }
    pid=$(kiosk --printer "dir:'"$work"'/tickets")
    snap 4 home
    xdotool mousemove '"$tx $ty"' click 1
    snap 2 confirm
    kill $pid; wait $pid 2>/dev/null || true
    pid=$(kiosk --printer "tcp://127.0.0.1:9?timeout=300ms")
    sleep 4
    xdotool mousemove '"$tx $ty"' click 1
    snap 3 fault
    kill $pid; wait $pid 2>/dev/null || true
    touch "'"$work"'/offline-'"$o"'"
    pid=$(kiosk --printer "dir:'"$work"'/tickets")
    sleep 3
    while [[ ! -e "'"$work"'/server-down-'"$o"'" ]]; do sleep 0.2; done
    snap 5 offline
    xdotool mousemove '"$tx $ty"' click 1
    snap 2 offline-confirm
    kill $pid; wait $pid 2>/dev/null || true
  ' &
  local x=$!
  while [[ ! -e $work/offline-$o ]]; do sleep 0.2; done
  sleep 3
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  touch "$work/server-down-$o"
  wait $x
  start_server
}
shoot portrait 1080 1920
shoot landscape 1920 1080
ls -l "$out"/kiosk-*.png
