#!/usr/bin/env bash
# Screenshots of the real kiosk binary under Xvfb (docs/screenshots/kiosk-*.png):
# home, confirmation, the booking check-in screen and a booking scanned in
# (on a serial-port scanner, --scanner, a named pipe here), a citizen ID card
# (CCCD) scanned on the home screen (the greeting; the priority choice for
# an elderly citizen), printer fault and offline, in portrait 1080x1920 and
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
  CIVIQ_ADMIN_PASSWORD=screenshot-pass "$bin/server" --addr "$addr" --data "$work/data" >"$work/server.log" 2>&1 &
  server_pid=$!
  pids+=($server_pid)
  for _ in $(seq 1 100); do curl -fsS "http://$addr/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
start_server
"$bin/server" device --data "$work/data" --kind kiosk --name "Ki-ốt ảnh chụp" >"$work/kiosk.token"
admin=$(curl -fsS -H 'Content-Type: application/json' --data '{"username":"admin","password":"screenshot-pass"}' \
  "http://$addr/api/v1/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
api() { # method path [body]
  curl -fsS -X "$1" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' ${3:+--data "$3"} "http://$addr$2"
}
# Bookings of Đất đai today, in a slot starting in 5 minutes (its check-in
# window is open): one code for each orientation.
slot=$(TZ=Asia/Ho_Chi_Minh date -d '+5 min' +%H:%M)
start=$(TZ=Asia/Ho_Chi_Minh date -d '+5 min' +%Y-%m-%dT%H:%M:00%:z)
days=$(for d in mon tue wed thu fri sat sun; do printf '"%s":{"starts":["%s"],"capacity":4},' "$d" "$slot"; done)
api PUT /api/v1/bookings/settings/dat-dai "{\"service_id\":\"dat-dai\",\"enabled\":true,\"days_ahead\":1,\"days\":{${days%,}}}" >/dev/null
for o in portrait landscape; do
  api POST /api/v1/bookings "{\"service_id\":\"dat-dai\",\"start\":\"$start\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])' >"$work/code-$o"
done
# The QR line of a chip-based ID card: a citizen of 46, and one of 76.
young='079086001234|215678901|Nguyễn Thị Minh Khai|12031980|Nữ|Số 12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh|15062021'
old='001050009876||Trần Văn Bảy|02091950|Nam|Thôn Đông, Xã Yên Phong, Huyện Yên Phong, Tỉnh Bắc Ninh|10102022'

shoot() { # orientation W H
  local o=$1 w=$2 h=$3
  # Tap points of a field tile (the second row of tiles, which a
  # printer-fault banner does not move off) and of the booking button, per
  # layout.
  local tx ty bx by
  if [[ $o == portrait ]]; then tx=270 ty=850 bx=277 by=1714; else tx=240 ty=600 bx=1213 by=1009; fi
  local code
  code=$(cat "$work/code-$o")
  mkfifo "$work/scanner-$o"
  xvfb-run -a -s "-screen 0 ${w}x${h}x24" bash -c '
    set -euo pipefail
    ready='"${KIOSK_READY:-10}"'
    kiosk() { "'"$bin"'/kiosk" --server "http://'"$addr"'" --token-file "'"$work"'/kiosk.token" --spool "'"$work"'/spool-'"$o"'" --fullscreen --confirm 60s --idle 60s --poll 1s --scanner "'"$work"'/scanner-'"$o"'" "$@" >/dev/null 2>>"'"$work"'/kiosk.log" & echo $!; }
    snap() { sleep "$1"; import -window root "'"$out"'/kiosk-$2-'"$o"'.png"; }
    # A scan: the line a barcode scanner on a serial port sends (a named
    # pipe stands in for it; typing it with xdotool as a keyboard-wedge
    # scanner would is too slow on a loaded machine to read as a burst).
    scan() { printf "%s\r\n" "$1" >"'"$work"'/scanner-'"$o"'"; }
    # A kiosk starting on a busy machine takes a few seconds to go full
    # screen and reach the server: every start is given $ready seconds.
    pid=$(kiosk --printer "dir:'"$work"'/tickets")
    snap $ready home
    xdotool mousemove '"$tx $ty"' click 1
    snap 2 confirm
    kill $pid; wait $pid 2>/dev/null || true
    # The booking button, then the code scanned.
    pid=$(kiosk --printer "dir:'"$work"'/tickets")
    sleep $ready
    xdotool mousemove '"$bx $by"' click 1
    snap 2 checkin
    scan "'"$code"'"
    snap 3 checkin-booked
    kill $pid; wait $pid 2>/dev/null || true
    # ID cards scanned on the home screen.
    pid=$(kiosk --printer "dir:'"$work"'/tickets")
    sleep $ready
    scan "'"$young"'"
    snap 2 cccd-hello
    kill $pid; wait $pid 2>/dev/null || true
    pid=$(kiosk --printer "dir:'"$work"'/tickets")
    sleep $ready
    scan "'"$old"'"
    snap 2 cccd-priority
    kill $pid; wait $pid 2>/dev/null || true
    pid=$(kiosk --printer "tcp://127.0.0.1:9?timeout=300ms")
    sleep $ready
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
  sleep "${KIOSK_READY:-10}"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  touch "$work/server-down-$o"
  wait $x
  start_server
}
shoot portrait 1080 1920
shoot landscape 1920 1080
ls -l "$out"/kiosk-*.png
