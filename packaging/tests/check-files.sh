#!/usr/bin/env bash
# tst_packaging_files: the files podtap installs besides its programs are valid for the tools
# that read them: the desktop entry (desktop-file-validate), the AppStream metainfo
# (appstreamcli), the systemd user unit (systemd-analyze), the shell completions (bash -n,
# zsh -n, shellcheck) and the man pages (man --warnings, as lintian runs it).
# usage: check-files.sh SOURCE_DIR BUILD_DIR PODTAPD
set -euo pipefail
src=$1 build=$2 podtapd=$3
failures=0 passes=0
check() { # check LABEL COMMAND...: passes when COMMAND succeeds and prints nothing on stderr
  local label=$1 err
  shift
  if err=$("$@" 2>&1 >/dev/null) && [ -z "$err" ]; then
    echo "ok   $label"
    passes=$((passes + 1))
  else
    echo "FAIL: $label"
    [ -z "$err" ] || printf '      %s\n' "$err"
    failures=$((failures + 1))
  fi
}
need() { # the tools come from scripts/install-deps; a missing one is a failure, not a skip
  command -v "$1" >/dev/null || { echo "FAIL: $1 is not installed (run scripts/install-deps)"; failures=$((failures + 1)); return 1; }
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# desktop-file-validate prints hints and warnings on stdout with exit status 0: none allowed.
desktop_ok() {
  local out
  out=$(desktop-file-validate "$1") || { echo "$out" >&2; return 1; }
  [ -z "$out" ] || { echo "$out" >&2; return 1; }
}
need desktop-file-validate && check "desktop entry" desktop_ok "$src/resources/desktop/podtap-gui.desktop"
# appstreamcli: warnings and errors fail; pedantic notes (no release list yet) pass.
metainfo_ok() { local out; out=$(appstreamcli validate --no-net --no-color "$1") || { echo "$out" >&2; return 1; }; }
need appstreamcli && check "AppStream metainfo" metainfo_ok "$src/resources/metainfo/io.github.podtap.podtap.metainfo.xml"

# The unit as it would be installed, with the built podtapd standing in for BINDIR/podtapd.
mkdir -p "$tmp/run"
chmod 700 "$tmp/run"
sed "s|@CMAKE_INSTALL_FULL_BINDIR@/podtapd|$(realpath "$podtapd")|" \
  "$src/resources/systemd/podtapd.service.in" >"$tmp/podtapd.service"
need systemd-analyze && check "systemd user unit" env XDG_RUNTIME_DIR="$tmp/run" \
  systemd-analyze --user verify "$tmp/podtapd.service"

check "bash completion: bash -n" bash -n "$src/resources/completions/podtap.bash"
need zsh && check "zsh completion: zsh -n" zsh -n "$src/resources/completions/_podtap"
if command -v shellcheck >/dev/null; then
  check "shellcheck" shellcheck -s bash "$src/resources/completions/podtap.bash" \
    "$src"/packaging/tests/*.sh
fi

# Man pages: lintian's check (groff warnings at 80 columns) on the generated pages.
for page in "$build"/packaging/man/*.1.gz; do
  [ -e "$page" ] || { echo "FAIL: no man pages in $build/packaging/man (build the *_man targets)"; failures=$((failures + 1)); break; }
  check "man page $(basename "$page")" env LC_ALL=C.UTF-8 MANWIDTH=80 \
    man --warnings -E UTF-8 -l -Tutf8 -Z "$page"
done

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
