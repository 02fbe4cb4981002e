#!/usr/bin/env bash
# tst_completions: the bash and zsh completions offer exactly the commands `podtap --help`
# lists and, for each, exactly the options `podtap COMMAND --help` prints; values that come
# from podtap itself (kubeconfig contexts) are parsed from the real binary's output.
# usage: check-completions.sh PODTAP BASH_COMPLETION ZSH_COMPLETION
set -euo pipefail
podtap=$1 bash_file=$2 zsh_file=$3
failures=0 passes=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
same() { # same LABEL EXPECTED ACTUAL (newline-separated sets)
  local missing extra
  missing=$(comm -23 <(sort -u <<<"$2") <(sort -u <<<"$3") | tr '\n' ' ')
  extra=$(comm -13 <(sort -u <<<"$2") <(sort -u <<<"$3") | tr '\n' ' ')
  if [ -n "$missing$extra" ]; then
    fail "$1: missing [${missing% }] extra [${extra% }]"
  else
    echo "ok   $1"
    passes=$((passes + 1))
  fi
}

# What the binary documents.
commands=$("$podtap" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$commands" ] || { echo "FAIL: no commands parsed from '$podtap --help'"; exit 1; }
help_options() { # the options in the synopsis (usage line and its indented continuation lines)
  "$podtap" "$1" --help | sed -n -e '1s/^usage: podtap [a-z-]* //p' -e '2,$s/^        //p' |
    grep -oE '(^|[[:space:][|(])--?[a-z][a-z-]*' | sed 's/^[^-]*//' | grep -vx -- '--help' || true
}

# bash: drive _podtap as readline would.
bash_complete() { # bash_complete WORD... (the last word is the one being completed)
  bash --norc --noprofile -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
    _podtap 2>/dev/null
    [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' _ "$bash_file" "$@"
}
same "bash: commands" "$commands"$'\n--help\n--version' "$(bash_complete podtap '')"
for c in $commands; do
  same "bash: podtap $c options" "$(help_options "$c")" "$(bash_complete podtap "$c" -)"
done
same "bash: --format values" $'pcap\npcapng' "$(bash_complete podtap export 1 --format '')"
same "bash: target kinds" $'pod/\ndeployment/\nstatefulset/\nservice/' "$(bash_complete podtap mirror '')"
same "bash: option value is not a target" "" "$(bash_complete podtap mirror --port '')"

# Contexts come from the real `podtap contexts` (its table format is what the completions parse).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
ln -s "$(realpath "$podtap")" "$tmp/bin/podtap"
cat >"$tmp/kubeconfig" <<'EOF'
apiVersion: v1
kind: Config
current-context: demo
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: t}
contexts:
- name: demo
  context: {cluster: c, user: u, namespace: shop}
- name: prod-eu
  context: {cluster: c, user: u}
EOF
export KUBECONFIG=$tmp/kubeconfig
PATH=$tmp/bin:$PATH same "bash: --context values (real podtap contexts)" $'demo\nprod-eu' \
  "$(PATH=$tmp/bin:$PATH bash_complete podtap pods --context '')"

# zsh: run _podtap with the completion system's functions replaced by recorders.
if ! command -v zsh >/dev/null; then
  fail "zsh is not installed (scripts/install-deps installs it): the zsh completion is untested"
else
  zsh -n "$zsh_file" || fail "zsh -n $zsh_file"
  zsh_complete() { # zsh_complete WORD... ; prints command names or option names offered
    zsh -f -c '
      _describe() { local -a a; a=("${(@P)4}"); print -rl -- "${a[@]%%:*}"; }
      _arguments() {
        local s
        for s in "$@"; do
          s=${s#\(*\)}                      # exclusion list
          [[ $s == -* ]] || continue        # positional arguments
          print -r -- ${s%%[\[:=+]*}
        done
      }
      _files() { :; }; _call_program() { shift; "$@"; }; compset() { :; }
      file=$1; shift
      words=("$@"); CURRENT=$#; PREFIX=${words[-1]}
      source $file' _ "$zsh_file" "$@"
  }
  same "zsh: commands" "$commands" "$(zsh_complete podtap '')"
  same "zsh: top-level options" $'--help\n--version' "$(zsh_complete podtap -)"
  for c in $commands; do
    same "zsh: podtap $c options" "$(help_options "$c")" "$(zsh_complete podtap "$c" '')"
  done
  same "zsh: --context values (real podtap contexts)" $'demo\nprod-eu' \
    "$(PATH=$tmp/bin:$PATH zsh -f -c '
        _describe() { local -a a; a=("${(@P)4}"); print -rl -- "${a[@]%%:*}"; }
        _call_program() { shift; "$@"; }
        source $1 >/dev/null 2>&1; _podtap_contexts' _ "$zsh_file")"
fi

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
