#!/usr/bin/env bash
# Screenshots of the Fyne hall display under Xvfb: 1920x1080 and 1280x720,
# with the demo centre (4 counters open, 8 fields) and with a provincial
# centre (40 counters, 25 fields with long names). Writes
# docs/screenshots/display-{4,40}-{1920x1080,1280x720}.png and
# display-40-offline-1920x1080.png (the server stopped: the offline band).
# Needs xvfb-run and ImageMagick's import. Uses port 127.0.0.1:18467.
set -euo pipefail
cd "$(dirname "$0")/.."
addr=127.0.0.1:18467
out=docs/screenshots
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

go build -o "$tmp/server" ./server
go build -o "$tmp/display" ./display

# centre N: the demo centre with N counters, all open; with more than 8
# counters, 25 fields with the longest real names.
centre() {
  python3 - "$1" >"$tmp/centre-$1.json" <<'PY'
import json, sys
n = int(sys.argv[1])
d = json.load(open("assets/demo/centre.json"))
if n > 8:
    names = ["Đất đai", "Tư pháp – Hộ tịch", "Đăng ký kinh doanh", "Xây dựng",
             "Sở Lao động – Thương binh và Xã hội", "Sở Nông nghiệp và Phát triển nông thôn",
             "Bưu điện (nhận, gửi hồ sơ qua bưu chính công ích)", "Sở Tài nguyên và Môi trường",
             "Sở Giao thông vận tải", "Sở Kế hoạch và Đầu tư", "Sở Tài chính", "Sở Công Thương",
             "Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Văn hoá, Thể thao và Du lịch",
             "Sở Khoa học và Công nghệ", "Sở Thông tin và Truyền thông", "Sở Nội vụ",
             "Ban Quản lý các khu công nghiệp", "Công an tỉnh – Xuất nhập cảnh", "Bảo hiểm xã hội",
             "Cục Thuế tỉnh", "Điện lực", "Trả kết quả", "Hướng dẫn, tiếp nhận phản ánh"]
    d["services"] = [{"id": "f%d" % (i + 1), "prefix": chr(65 + i), "name": {"vi": v, "en": v}, "target_minutes": 20}
                     for i, v in enumerate(names)]
svc = [s["id"] for s in d["services"]]
d["counters"] = [{"id": "q%d" % i, "number": i, "name": {"vi": "Quầy %d" % i, "en": "Counter %d" % i},
                  "service_ids": [s for j, s in enumerate(svc) if j % min(n, len(svc)) == (i - 1) % min(n, len(svc))]}
                 for i in range(1, n + 1)]
d["users"] = []
print(json.dumps(d, ensure_ascii=False))
PY
}

api() { # method path [body]
  curl -fsS -X "$1" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "http://$addr$2"
}

for n in 4 40; do
  centre "$n"
  data="$tmp/data-$n"
  mkdir -p "$data"
  CIVIQ_ADMIN_PASSWORD=screenshot-pass "$tmp/server" --addr "$addr" --data "$data" --centre "$tmp/centre-$n.json" 2>"$tmp/server-$n.log" &
  spid=$!
  pids+=($spid)
  for _ in $(seq 1 100); do curl -fsS "http://$addr/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fsS "http://$addr/healthz" >/dev/null || { cat "$tmp/server-$n.log"; exit 1; }
  admin=$(curl -fsS -H 'Content-Type: application/json' --data '{"username":"admin","password":"screenshot-pass"}' \
    "http://$addr/api/v1/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  token=$("$tmp/server" device --data "$data" --kind display --name "screenshots" 2>/dev/null || true)
  if [[ -z $token ]]; then
    token=$(api POST /api/v1/devices '{"kind":"display","name":"screenshots"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  fi
  echo "$token" >"$tmp/token"
  services=$(api GET /api/v1/services | python3 -c 'import json,sys; print(" ".join(s["id"] for s in json.load(sys.stdin)))')
  for s in $services; do for _ in 1 2 3 4; do api POST /api/v1/tickets "{\"service_id\":\"$s\"}" >/dev/null; done; done
  for i in $(seq 1 "$n"); do api PUT "/api/v1/counters/q$i/status" '{"status":"open"}' >/dev/null || true; done
  # Calls: every counter once (the last few twice), then a recall.
  for i in $(seq 1 "$n"); do api POST "/api/v1/counters/q$i/next" >/dev/null || true; done
  for i in 1 2 3; do api POST "/api/v1/counters/q$i/next" >/dev/null || true; done
  for size in 1920x1080 1280x720; do
    w=${size%x*}; h=${size#*x}
    xvfb-run -a -s "-screen 0 ${size}x24" bash -c "
      '$tmp/display' --server 'http://$addr' --token-file '$tmp/token' --no-sound --lang vi &
      d=\$!
      sleep 6
      import -window root '$out/display-$n-$size.png'
      kill \$d; wait \$d 2>/dev/null || true"
    echo "wrote $out/display-$n-$size.png"
  done
  if [[ $n == 40 ]]; then
    # The offline band: the display running, the server stopped.
    xvfb-run -a -s "-screen 0 1920x1080x24" bash -c "
      '$tmp/display' --server 'http://$addr' --token-file '$tmp/token' --no-sound --lang vi &
      d=\$!
      sleep 6
      kill $spid
      sleep 3
      import -window root '$out/display-40-offline-1920x1080.png'
      kill \$d; wait \$d 2>/dev/null || true"
    echo "wrote $out/display-40-offline-1920x1080.png"
  fi
  kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true
done
