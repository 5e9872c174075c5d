#!/usr/bin/env bash
# `make run`: the whole hall on one machine. Starts the server with the
# embedded SQLite store and the demo centre; when a graphical session is
# present, also a kiosk and a hall display window paired with the server
# (their device tokens are created once with `server device` and kept in
# the data folder).
set -euo pipefail
addr=${1:-127.0.0.1:8080}
data=${2:-./data}
mkdir -p "$data"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# A fresh demo store starts with three weeks of simulated history (reports).
bin/server --addr "$addr" --data "$data" --demo-history "${CIVIQ_DEMO_HISTORY:-21}" &
pids+=($!)

for _ in $(seq 1 200); do
  if curl -fsS "http://$addr/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

pair() { # kind name → token file
  local f="$data/$1.token"
  if [[ ! -s $f ]]; then
    (umask 077; bin/server device --data "$data" --kind "$1" --name "$2" >"$f")
  fi
  echo "$f"
}

display_tok=$(pair display "Màn hình (make run)")
echo "Web hall display: http://$addr/display?token=$(cat "$display_tok")"

if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  if [[ -x bin/kiosk ]]; then
    FYNE_SCALE=${FYNE_SCALE:-0.6} bin/kiosk --server "http://$addr" --token-file "$(pair kiosk "Ki-ốt (make run)")" --printer "dir:$data/tickets" --spool "$data/kiosk-spool" --fullscreen=false &
    pids+=($!)
  fi
  if [[ -x bin/display ]]; then
    bin/display --server "http://$addr" --token-file "$display_tok" --fullscreen=false &
    pids+=($!)
  fi
else
  echo "No graphical session: the Fyne kiosk and display need a screen; use the web pages above."
fi
wait "${pids[0]}"
