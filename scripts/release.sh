#!/usr/bin/env bash
# Builds the CiviQ release archives into dist/ from a Debian 12 amd64 machine.
#
#   scripts/release.sh          install what is missing (as root), then build
#   scripts/release.sh deps     only install the cross toolchains
#
# Targets: server for linux/amd64, linux/arm64, windows/amd64 (pure Go,
# CGO_ENABLED=0); kiosk and display for linux/amd64 and windows/amd64 (cgo,
# Windows through Debian's MinGW-w64 with -H windowsgui); display for
# linux/arm64 (cgo through gcc-aarch64-linux-gnu and the arm64 -dev packages
# of Debian's multiarch; the device needs glibc >= 2.34: Debian 12, Ubuntu 22.04 or
# Raspberry Pi OS bookworm).
#
# Reproducible: -trimpath, no VCS stamping, the version from `git describe`,
# every archive member owned by 0:0 with the mtime of the last commit
# (SOURCE_DATE_EPOCH), sorted: two runs on the same commit give the same
# SHA256SUMS.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
WINRES=github.com/tc-hib/go-winres@v0.3.3

# Cross toolchains and the arm64 libraries the Fyne display links against.
native_pkgs=(gcc-mingw-w64-x86-64 gcc-aarch64-linux-gnu zip)
arm64_pkgs=(libc6-dev:arm64 libgl1-mesa-dev:arm64 libx11-dev:arm64 libxcursor-dev:arm64 libxrandr-dev:arm64
  libxinerama-dev:arm64 libxi-dev:arm64 libxxf86vm-dev:arm64 libasound2-dev:arm64)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

deps() {
  scripts/deps.sh
  local missing=() p
  for p in "${native_pkgs[@]}" "${arm64_pkgs[@]}"; do
    installed "$p" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "release: missing Debian packages: ${missing[*]}" >&2
    echo "release: run: sudo dpkg --add-architecture arm64 && sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
  fi
  echo "release: installing ${missing[*]}"
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
}

if [[ ${1:-} == deps ]]; then
  deps
  exit 0
fi
deps

start=$(date +%s)
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH
# Windows file versions are four numbers; untagged builds are 0.0.0.0.
numver=$(sed -nE 's/^v?([0-9]+)\.([0-9]+)\.([0-9]+).*/\1.\2.\3.0/p' <<<"$VERSION")
numver=${numver:-0.0.0.0}
LDFLAGS="-s -w -buildid= -X main.version=$VERSION"
DIST=dist
STAGE=$DIST/.stage
rm -rf "$DIST"
mkdir -p "$STAGE"

# build GOOS GOARCH CGO NAME PKG [extra go env...]
build() {
  local os=$1 arch=$2 cgo=$3 name=$4 pkg=$5
  shift 5
  local dir=$STAGE/civiq-$VERSION-$os-$arch exe=$name ld=$LDFLAGS
  [[ $os == windows ]] && exe=$name.exe
  [[ $os == windows && $cgo == 1 ]] && ld="$ld -H windowsgui"
  mkdir -p "$dir"
  local t0=$(date +%s)
  env GOOS="$os" GOARCH="$arch" CGO_ENABLED="$cgo" "$@" \
    nice -n 19 "$GO" build -trimpath -buildvcs=false -ldflags "$ld" -o "$dir/$exe" "$pkg"
  printf 'release: %-28s %6s KiB  %4ss\n' "$os/$arch/$exe" "$(($(stat -c %s "$dir/$exe") / 1024))" "$(($(date +%s) - t0))"
}

# Windows icon, version and manifest resources for the GUI programs: .syso
# files that `go build` links in for windows/amd64 only; removed afterwards so
# the work tree stays clean.
sysos=()
cleanup() { rm -f "${sysos[@]}"; }
trap cleanup EXIT
winres() {
  local pkg=$1 desc=$2
  sysos+=("$pkg/rsrc_windows_amd64.syso")
  nice -n 19 "$GO" run "$WINRES" simply --arch amd64 --out "$pkg/rsrc" --icon assets/icon/civiq-256.png --manifest gui \
    --product-name CiviQ --file-description "$desc" --copyright "CiviQ contributors, Apache-2.0" \
    --original-filename "$(basename "$pkg").exe" --product-version "$VERSION" --file-version "$numver"
}
winres kiosk "CiviQ kiosk (ticket printer)"
winres display "CiviQ hall display"

linux_amd64_cc=(CC=gcc)
linux_arm64_cc=(CC=aarch64-linux-gnu-gcc PKG_CONFIG_PATH=/usr/lib/aarch64-linux-gnu/pkgconfig PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig)
windows_cc=(CC=x86_64-w64-mingw32-gcc)

build linux amd64 0 server ./server
build linux arm64 0 server ./server
build windows amd64 0 server ./server
build linux amd64 1 kiosk ./kiosk "${linux_amd64_cc[@]}"
build linux amd64 1 display ./display "${linux_amd64_cc[@]}"
build linux arm64 1 display ./display "${linux_arm64_cc[@]}"
build windows amd64 1 kiosk ./kiosk "${windows_cc[@]}"
build windows amd64 1 display ./display "${windows_cc[@]}"

# The Windows GUI programs must need only DLLs every Windows has.
for exe in "$STAGE"/civiq-*-windows-amd64/{kiosk,display}.exe; do
  dlls=$(x86_64-w64-mingw32-objdump -p "$exe" | sed -n 's/.*DLL Name: //p' | sort -u | tr '\n' ' ')
  echo "release: $(basename "$exe") imports: $dlls"
  for d in $dlls; do
    case ${d,,} in
    kernel32.dll | user32.dll | gdi32.dll | opengl32.dll | winmm.dll | ws2_32.dll | advapi32.dll | shell32.dll | \
      ole32.dll | oleaut32.dll | comdlg32.dll | imm32.dll | msvcrt.dll | ntdll.dll | dwmapi.dll | shcore.dll | \
      uxtheme.dll | version.dll | setupapi.dll | bcrypt.dll | crypt32.dll | iphlpapi.dll | userenv.dll | \
      winspool.drv | secur32.dll | powrprof.dll | dbghelp.dll | mswsock.dll | api-ms-win-*) ;;
    *)
      echo "release: $exe needs a non-system DLL: $d" >&2
      exit 1
      ;;
    esac
  done
done

# Archives: the programs plus what an IT officer needs next to them.
for dir in "$STAGE"/civiq-*; do
  [[ -d $dir ]] || continue
  cp README.md LICENSE docs/DEPLOY.md docs/CONFIG.md "$dir/"
  cp assets/demo/centre.json "$dir/centre.sample.json"
  case $dir in
  *-linux-*)
    mkdir -p "$dir/deploy"
    cp deploy/*.service deploy/*.timer "$dir/deploy/"
    cp -r deploy/nginx deploy/haproxy "$dir/deploy/"  # load balancers (DEPLOY.md §11)
    [[ -e $dir/kiosk ]] || rm "$dir/deploy/civiq-kiosk.service"
    ;;
  *-windows-*)
    mkdir -p "$dir/deploy"
    cp deploy/windows/* "$dir/deploy/"
    ;;
  esac
  find "$dir" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  base=$(basename "$dir")
  case $base in
  *-linux-*)
    tar --sort=name --owner=0 --group=0 --numeric-owner --mode=u+rwX,go+rX,go-w --mtime="@$SOURCE_DATE_EPOCH" \
      --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
      -C "$STAGE" -cf - "$base" | gzip -9n >"$DIST/$base.tar.gz"
    ;;
  *-windows-*)
    (cd "$STAGE" && find "$base" -print | LC_ALL=C sort | TZ=UTC zip -q -X -D -9 "../$base.zip" -@)
    ;;
  esac
done
(cd "$DIST" && sha256sum -- *.tar.gz *.zip >SHA256SUMS)
rm -rf "$STAGE"

echo "release: $VERSION in $DIST/ ($(($(date +%s) - start))s):"
(cd "$DIST" && ls -l --time-style=+ -- *.tar.gz *.zip SHA256SUMS | awk '{printf "  %-45s %8.1f MiB\n", $NF, $5/1048576}')
