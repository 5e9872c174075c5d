#!/usr/bin/env bash
# `make run`: the whole hall on one machine. Starts the server with the
# embedded SQLite store and the demo centre; when a graphical session is
# present, also a kiosk and a display window paired with the server.
set -euo pipefail
addr=${1:-127.0.0.1:8080}
data=${2:-./data}
mkdir -p "$data"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

bin/server --addr "$addr" --data "$data" &
pids+=($!)

# Wait until the server answers.
for _ in $(seq 1 100); do
  if curl -fsS "http://$addr/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  for app in kiosk display; do
    if [[ -x bin/$app ]]; then
      bin/$app --server "http://$addr" --pair "$data/$app.token" &
      pids+=($!)
    fi
  done
else
  echo "No graphical session: open the web display at http://$addr/display; the Fyne kiosk and display need a screen."
fi
wait "${pids[0]}"
