#!/usr/bin/env bash
# `make run`: the whole hall on one machine. Starts the server with the
# embedded SQLite store and the demo centre under a small supervisor that
# restarts it when it exits; when a graphical session is present, also a
# kiosk and a hall display window paired with the server (their device
# tokens are created once with `server device` and kept in the data folder).
# The kiosk and the display do not depend on the server process: stop the
# server (make stop-server) and they work on, offline, until it is back
# (make start-server).
#
#   scripts/run.sh [ADDR] [DATA]        the whole hall (make run)
#   scripts/run.sh stop-server [DATA]   stop the server of a running make run
#   scripts/run.sh start-server [DATA]  start it again
#   scripts/run.sh supervise ADDR DATA  the server under its supervisor only
#
# Files in DATA: run.pid (this script), server.pid (the server while it
# runs), server.stopped (present while stopped with stop-server).
# CIVIQ_SERVER_BIN replaces bin/server (the tests use a stand-in).
set -euo pipefail

server_bin=${CIVIQ_SERVER_BIN:-bin/server}
restart_delay=${CIVIQ_RESTART_DELAY:-1}
# A server that exits within 5 s of its start (a port in use, a broken data
# folder) is started again only after this many seconds, not in a tight loop.
failing_delay=${CIVIQ_FAILING_DELAY:-5}

alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
# running: make run is alive (its pid file names a live run.sh, not a pid
# reused after a crash).
running() { alive "$1" && grep -qs run.sh "/proc/$(cat "$1")/cmdline"; }

# supervise runs the server and starts it again whenever it exits, unless
# server.stopped exists (then it waits for the file to go). TERM ends the
# supervisor and the server.
supervise() {
  local addr=$1 data=$2 child='' rc started
  # shellcheck disable=SC2317,SC2329 # called by the trap
  quit() {
    if [[ -n $child ]]; then kill -TERM "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi
    rm -f "$data/server.pid"
    exit 0
  }
  trap quit TERM INT
  while true; do
    if [[ -e $data/server.stopped ]]; then
      sleep 0.3
      continue
    fi
    started=$SECONDS
    "$server_bin" --addr "$addr" --data "$data" &
    child=$!
    echo "$child" >"$data/server.pid"
    rc=0
    wait "$child" || rc=$?
    child=''
    rm -f "$data/server.pid"
    if [[ -e $data/server.stopped ]]; then
      # make run itself ending writes "ending" into the file: no news then.
      [[ $(cat "$data/server.stopped" 2>/dev/null) == ending ]] ||
        echo "run.sh: server stopped; the kiosk and the displays work on offline. make start-server starts it again."
    elif ((SECONDS - started < 5)); then
      echo "run.sh: server exited at once (status $rc; see above); starting it again in ${failing_delay} s"
      sleep "$failing_delay"
    else
      echo "run.sh: server exited (status $rc); starting it again in ${restart_delay} s"
      sleep "$restart_delay"
    fi
  done
}

stop_server() {
  local data=$1 pid
  if ! running "$data/run.pid"; then
    echo "run.sh: make run is not running with data folder $data" >&2
    return 1
  fi
  touch "$data/server.stopped"
  if alive "$data/server.pid"; then
    pid=$(cat "$data/server.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  echo "Server stopped. The kiosk and the displays keep running; take tickets on the kiosk (printed offline)."
  echo "make start-server starts it again; the kiosk then syncs its offline tickets."
}

start_server() {
  local data=$1
  if ! running "$data/run.pid"; then
    echo "run.sh: make run is not running with data folder $data; start it with make run" >&2
    return 1
  fi
  rm -f "$data/server.stopped"
  for _ in $(seq 1 100); do
    alive "$data/server.pid" && break
    sleep 0.1
  done
  echo "Server starting (pid $(cat "$data/server.pid" 2>/dev/null || echo '?')); the kiosk syncs its offline tickets within seconds."
}

case ${1:-} in
  stop-server) stop_server "${2:-./data}"; exit ;;
  start-server) start_server "${2:-./data}"; exit ;;
  supervise) mkdir -p "$3"; rm -f "$3/server.stopped"; supervise "$2" "$3"; exit ;;
esac

addr=${1:-0.0.0.0:8080}
data=${2:-./data}
mkdir -p "$data"
host=${addr%:*}
port=${addr##*:}
case $host in
  '' | 0.0.0.0 | '[::]' | '::') local_addr=127.0.0.1:$port ;;
  *) local_addr=$addr ;;
esac
base=http://$local_addr

if running "$data/run.pid"; then
  echo "run.sh: make run already runs with data folder $data (pid $(cat "$data/run.pid"))" >&2
  exit 1
fi
echo $$ >"$data/run.pid"
rm -f "$data/server.stopped"

pids=()
# shellcheck disable=SC2317,SC2329 # called by the trap
cleanup() {
  echo ending >"$data/server.stopped" # the supervisor must not restart the server now
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f "$data/run.pid" "$data/server.stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh demo store starts with three weeks of simulated history (reports);
# the server reads CIVIQ_DEMO_HISTORY and ignores it for a store with data.
export CIVIQ_DEMO_HISTORY=${CIVIQ_DEMO_HISTORY:-21}
supervise "$addr" "$data" &
pids+=($!)

for _ in $(seq 1 200); do
  if curl -fsS "$base/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

pair() { # kind name file → the token file, created once
  local f="$data/$3"
  if [[ ! -s $f ]]; then
    (umask 077; "$server_bin" device --data "$data" --kind "$1" --name "$2" >"$f")
  fi
  echo "$f"
}

# Two displays, two devices: /admin → Devices lists and revokes them apart.
display_tok=$(pair display "Màn hình Fyne (make run)" display.token)
web_display_tok=$(pair display "Màn hình web (make run)" display-web.token)
kiosk_tok=$(pair kiosk "Ki-ốt (make run)" kiosk.token)

cat <<EOF

The hall (make run; data in $data):
  home                    $base/
  clerk console           $base/counter
  admin and dashboard     $base/admin
  web hall display        $base/display?token=$(cat "$web_display_tok")
  rating tablet (quầy 1)  $base/rate/q1   (sign in as canbo1)
  phone page of a ticket  the QR code on each ticket (its address is printed above: "ticket QR codes")
Resilience: make stop-server stops only the server (the kiosk issues offline),
            make start-server starts it again (the kiosk syncs). Ctrl-C ends everything.

EOF

# The Fyne apps: a locale Fyne can parse (it cannot parse "C.UTF-8", the
# default of many servers and containers, and says so on the console), and
# ALSA pointed at its null device when the machine has no sound card (the
# display's call-outs then play to nowhere instead of printing ALSA errors).
app_env=()
case ${LC_ALL:-${LC_MESSAGES:-${LANG:-}}} in
  C.* | POSIX.*) [[ -n ${LANGUAGE:-} ]] || app_env+=(LANGUAGE=vi) ;;
esac
if ! grep -qs '^ *[0-9]' /proc/asound/cards; then
  printf 'pcm.!default { type null }\nctl.!default { type null }\n' >"$data/alsa-null.conf"
  app_env+=("ALSA_CONFIG_PATH=$data/alsa-null.conf")
fi

if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  if [[ -x bin/kiosk ]]; then
    env "${app_env[@]}" FYNE_SCALE="${FYNE_SCALE:-0.6}" bin/kiosk --server "$base" --token-file "$kiosk_tok" \
      --printer "dir:$data/tickets" --spool "$data/kiosk-spool" --fullscreen=false &
    pids+=($!)
  fi
  if [[ -x bin/display ]]; then
    env "${app_env[@]}" bin/display --server "$base" --token-file "$display_tok" --fullscreen=false &
    pids+=($!)
  fi
else
  echo "No graphical session: the Fyne kiosk and display need a screen; use the web pages above."
fi
wait "${pids[0]}"
