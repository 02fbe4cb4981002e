#!/usr/bin/env bash
# tst_package: builds the .deb with CPack and checks it as a user would get it.
#  1. cpack -G DEB in the build dir (into BUILD/packaging/deb)
#  2. its control fields, files and permissions; the unit starts /usr/bin/podtapd
#  3. lintian: every error or warning must be listed in packaging/lintian-allowed.txt (each
#     one is explained in packaging/README.md)
#  4. as root: apt-get install ./podtap_*.deb, then the installed podtap and podtapd run from
#     /usr/bin (versions, a pcap through `podtap inspect`, `podtap status` against the
#     installed daemon), then apt-get purge. Outside CI a podtap package already installed
#     on this machine is left alone (the install step is skipped, and says so).
# Exit 77 (ctest: skipped) when only the install step could not run.
# usage: check-deb.sh SOURCE_DIR BUILD_DIR VERSION
set -euo pipefail
src=$1 build=$2 version=$3
failures=0 passes=0
ok() { echo "ok   $*"; passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect() { # expect LABEL COMMAND...
  local label=$1
  shift
  if "$@"; then ok "$label"; else fail "$label"; fi
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
tmp=$(mktemp -d)
installed_by_us=0
cleanup() {
  if [ "$installed_by_us" = 1 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q podtap >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# 1. The package.
out=$build/packaging/deb
rm -rf "$out"
t=$(now)
if ! (cd "$build" && cpack -G DEB -B "$out" >"$tmp/cpack.log" 2>&1); then
  cat "$tmp/cpack.log"
  echo "FAIL: cpack -G DEB"
  exit 1
fi
mapfile -t debs < <(find "$out" -maxdepth 1 -name 'podtap_*.deb')
if [ ${#debs[@]} -ne 1 ]; then
  cat "$tmp/cpack.log"
  echo "FAIL: expected one podtap_*.deb in $out, found ${#debs[@]}"
  exit 1
fi
deb=${debs[0]}
echo "package: $deb, $(stat -c %s "$deb") bytes, cpack took $(elapsed "$t")"

# 2. Fields and files.
field() { dpkg-deb -f "$deb" "$1"; }
arch=$(dpkg --print-architecture)
expect "file name podtap_${version}_${arch}.deb" test "$(basename "$deb")" = "podtap_${version}_${arch}.deb"
expect "Package: podtap" test "$(field Package)" = podtap
expect "Version: $version" test "$(field Version)" = "$version"
expect "Section: net" test "$(field Section)" = net
expect "Maintainer is set" test -n "$(field Maintainer)"
depends=$(field Depends)
echo "     Depends: $depends"
echo "     Recommends: $(field Recommends)   Suggests: $(field Suggests)"
depends_names=$(tr ',' '\n' <<<"$depends" | awk '{ print $1 }') # alternatives are not used
for lib in libc6 libstdc++6 libqt6core6 libqt6network6 libqt6websockets6 libpcap0.8 libyaml-cpp0.7 libssl3; do
  expect "Depends on $lib (dpkg-shlibdeps)" grep -qxF "$lib" <<<"$depends_names"
done
expect "does not depend on tcpdump (it runs in the tap)" test -z "$(grep -xF tcpdump <<<"$depends_names" || true)"
dpkg-deb -c "$deb" >"$tmp/contents"
expected_files=(
  ./usr/bin/podtap ./usr/bin/podtapd
  ./usr/lib/systemd/user/podtapd.service
  ./usr/share/bash-completion/completions/podtap
  ./usr/share/zsh/vendor-completions/_podtap
  ./usr/share/man/man1/podtap.1.gz ./usr/share/man/man1/podtapd.1.gz
  ./usr/share/doc/podtap/copyright ./usr/share/doc/podtap/changelog.gz
  # Wireshark's global extcap folder (tshark -G folders: "Extcap path")
  "./usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/wireshark/extcap/podtap-extcap"
)
if grep -q ' ./usr/bin/podtap-gui$' "$tmp/contents"; then
  expected_files+=(./usr/share/applications/podtap-gui.desktop
    ./usr/share/metainfo/io.github.podtap.podtap.metainfo.xml
    ./usr/share/man/man1/podtap-gui.1.gz)
  expected_files+=(./usr/share/icons/hicolor/scalable/apps/podtap.svg)
  for size in 16 22 24 32 48 64 128 256 512; do
    expected_files+=("./usr/share/icons/hicolor/${size}x${size}/apps/podtap.png")
  done
fi
for f in "${expected_files[@]}"; do
  expect "contains ${f#.}" grep -q " $f\$" "$tmp/contents"
done
expect "nothing outside /usr" test -z "$(awk '{ print $6 }' "$tmp/contents" | grep -vE '^\./(usr(/.*)?)?$' || true)"
expect "every file is owned by root:root" test -z "$(awk '$2 != "root/root"' "$tmp/contents")"
dpkg-deb -x "$deb" "$tmp/root"
expect "unit starts /usr/bin/podtapd" grep -qx 'ExecStart=/usr/bin/podtapd' "$tmp/root/usr/lib/systemd/user/podtapd.service"
if [ -e "$tmp/root/usr/share/icons/hicolor/48x48/apps/podtap.png" ]; then
  expect "the 48x48 icon is a 48 x 48 PNG" \
    grep -q 'PNG image data, 48 x 48' <(file "$tmp/root/usr/share/icons/hicolor/48x48/apps/podtap.png")
fi
expect "binaries are stripped" test -z "$(file "$tmp"/root/usr/bin/* "$tmp"/root/usr/lib/*/wireshark/extcap/* | grep -v ', stripped' || true)"

# 3. lintian.
if ! command -v lintian >/dev/null; then
  fail "lintian is not installed (scripts/install-deps installs it)"
else
  t=$(now)
  rc=0
  lintian --tag-display-limit 0 --display-info "$deb" >"$tmp/lintian.txt" 2>&1 || rc=$?
  echo "lintian (exit $rc, $(elapsed "$t")):"
  sed 's/^/     /' "$tmp/lintian.txt"
  allowed=$(awk '!/^[[:space:]]*(#|$)/ { print $1 }' "$src/packaging/lintian-allowed.txt")
  unexpected=$(awk '$1 ~ /^[EW]:$/ { print $3 }' "$tmp/lintian.txt" | sort -u | grep -vxF -f <(echo "$allowed") || true)
  if [ "$rc" -ge 2 ]; then # 1: tags at the fail-on level, compared below; 2: lintian failed
    fail "lintian did not run"
  elif [ -n "$unexpected" ]; then
    fail "lintian errors/warnings not in packaging/lintian-allowed.txt: $(echo "$unexpected" | tr '\n' ' ')"
  else
    ok "lintian: no error or warning beyond packaging/lintian-allowed.txt"
  fi
fi

# 4. Install it, run it, remove it.
skip=""
if [ "$(id -u)" -ne 0 ]; then
  skip="apt-get install needs root"
elif dpkg-query -W -f='${Status}' podtap 2>/dev/null | grep -q "install ok installed"; then
  if [ "${CI:-}" = true ]; then
    apt-get purge -y -q podtap >/dev/null
  else
    skip="a podtap package is already installed on this machine; not replacing it outside CI"
  fi
fi
if [ -z "$skip" ]; then
  t=$(now)
  installed_by_us=1
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" >"$tmp/apt.log" 2>&1; then
    ok "apt-get install $(basename "$deb") ($(elapsed "$t"))"
    awk '/^The following NEW/ { on = 1; print; next } on && /^  / { print; next } { on = 0 }' \
      "$tmp/apt.log" | sed 's/^/     /'
    expect "/usr/bin/podtap --version" test "$(/usr/bin/podtap --version)" = "podtap $version"
    expect "/usr/bin/podtapd --version" test "$(/usr/bin/podtapd --version)" = "podtapd $version"
    if [ -e /usr/bin/podtap-gui ]; then # Qt Widgets, Svg and the platform plugins at run time
      expect "/usr/bin/podtap-gui --version" test "$(QT_QPA_PLATFORM=offscreen /usr/bin/podtap-gui --version 2>/dev/null)" = "podtap-gui $version"
    fi
    # One IPv4 TCP SYN 10.0.0.1:12345 -> 10.0.0.2:80 in a LINKTYPE_RAW pcap: libpcap and the
    # engine at run time.
    {
      printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x65\x00\x00\x00'
      printf '\x01\x00\x00\x00\x00\x00\x00\x00\x28\x00\x00\x00\x28\x00\x00\x00'
      printf '\x45\x00\x00\x28\x00\x01\x00\x00\x40\x06\x66\xcd\x0a\x00\x00\x01\x0a\x00\x00\x02'
      printf '\x30\x39\x00\x50\x00\x00\x00\x01\x00\x00\x00\x00\x50\x02\xff\xff\x00\x00\x00\x00'
    } >"$tmp/syn.pcap"
    expect "/usr/bin/podtap inspect reads a pcap" grep -q '10.0.0.1:12345 -> 10.0.0.2:80' \
      <(/usr/bin/podtap inspect "$tmp/syn.pcap" 2>&1)
    # The installed daemon on a private socket, asked by the installed CLI.
    mkdir -m 700 "$tmp/run" "$tmp/state"
    XDG_RUNTIME_DIR=$tmp/run XDG_STATE_HOME=$tmp/state /usr/bin/podtapd --socket "$tmp/run/d.sock" \
      >"$tmp/podtapd.log" 2>&1 &
    daemon=$!
    up=1
    for _ in $(seq 100); do
      /usr/bin/podtap status --socket "$tmp/run/d.sock" >"$tmp/status.txt" 2>&1 && { up=0; break; }
      sleep 0.1
    done
    expect "/usr/bin/podtap status reaches /usr/bin/podtapd" test $up -eq 0
    kill -TERM "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
    [ $up -eq 0 ] || cat "$tmp/podtapd.log" "$tmp/status.txt"
    expect "installed unit verifies (systemd-analyze)" test -z "$(XDG_RUNTIME_DIR=$tmp/run systemd-analyze --user verify /usr/lib/systemd/user/podtapd.service 2>&1)"
    expect "man podtap finds the page" test "$(man -w podtap 2>/dev/null)" = /usr/share/man/man1/podtap.1.gz
    if command -v tshark >/dev/null; then # Wireshark finds the installed extcap by itself
      expect "tshark -D lists the podtap interface" grep -q '\. podtap (Kubernetes pod' <(tshark -D 2>/dev/null)
    fi
    t=$(now)
    if DEBIAN_FRONTEND=noninteractive apt-get purge -y -q podtap >"$tmp/purge.log" 2>&1; then
      installed_by_us=0
      ok "apt-get purge podtap ($(elapsed "$t"))"
    else
      cat "$tmp/purge.log"
      fail "apt-get purge podtap"
    fi
    expect "nothing left in /usr/bin" test ! -e /usr/bin/podtap -a ! -e /usr/bin/podtapd
    expect "no extcap left behind" test -z "$(ls /usr/lib/*/wireshark/extcap/podtap-extcap 2>/dev/null || true)"
  else
    cat "$tmp/apt.log"
    fail "apt-get install $deb"
  fi
fi

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ] || exit 1
if [ -n "$skip" ]; then
  echo "SKIP: install step: $skip"
  exit 77
fi
