# bash completion for podtap                                  -*- shell-script -*-
# Installed as $datadir/bash-completion/completions/podtap (loaded on first use).
# Commands and options are exactly those `podtap --help` and `podtap COMMAND --help` print;
# the ctest test tst_completions fails when they differ. Values come from podtap itself:
# contexts from `podtap contexts`, pods from `podtap pods`, sessions from a running podtapd
# (`podtap sessions --no-start`: completing never starts the daemon).

_podtap_commands="inspect contexts pods preflight rbac mirror capture sessions connections requests stop rm retention export replay status"

_podtap_options()
{
    case $1 in
        inspect) echo "--port --filter --json --chunk-size" ;;
        contexts) echo "--kubeconfig --json" ;;
        pods) echo "--kubeconfig --context -n --json" ;;
        preflight) echo "--port --image --tap-profile --json --context -n" ;;
        rbac) echo "-n --cluster --pod --user --group --workloads --name" ;;
        mirror) echo "--port --to --join-midstream --one-pod --detach --duration --verbose --json --image --tap-profile --context -n --yes-i-mean-production --compare --report --ignore-header --http-method --http-path --http-header --proto-descriptor" ;;
        capture) echo "--port -w --format --duration --detach --image --tap-profile --context -n --max-bytes --max-age --one-pod --json --direct --yes-i-mean-production" ;;
        sessions) echo "--json" ;;
        connections) echo "--open --json" ;;
        requests) echo "--json --method --verdict --route --limit" ;;
        stop) echo "--json" ;;
        rm) echo "--all-stopped --json" ;;
        retention) echo "--quota --max-age --json" ;;
        export) echo "-o --format --filter --connections --from --until --json" ;;
        replay) echo "--to --speed --max --port --join-midstream --connections --json --http --rate --percent --concurrency --header --keep-auth --compare --report --ignore-header --proto-descriptor" ;;
        status) echo "--json --socket" ;;
    esac
}

# Options followed by a value (the word after them is not a positional argument).
_podtap_takes_value()
{
    case $1 in
        --port | --filter | --chunk-size | --kubeconfig | --context | -n | --image | --to | \
            --tap-profile | --pod | --user | --group | --name | \
            --duration | -w | --max-bytes | --max-age | -o | --format | --connections | \
            --from | --until | --speed | --socket | --report | --ignore-header | --http-method | \
            --http-path | --http-header | --rate | --percent | --concurrency | --header | --proto-descriptor | --method | --verdict | \
            --route | --limit) return 0 ;;
    esac
    return 1
}

# The value of "--context" or "-n" already typed on the line, for `podtap pods`.
_podtap_kube_args()
{
    local i
    for ((i = 2; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --context | -n | --kubeconfig) printf '%s\n%s\n' "${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}" ;;
        esac
    done
}

_podtap_reply()
{
    mapfile -t COMPREPLY < <(compgen "$@")
}

_podtap_files()
{
    compopt -o filenames 2>/dev/null
    _podtap_reply -f -- "$1"
}

_podtap()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()

    if ((COMP_CWORD == 1)); then
        _podtap_reply -W "$_podtap_commands --help --version" -- "$cur"
        return
    fi
    local cmd=${COMP_WORDS[1]}
    [[ " $_podtap_commands " == *" $cmd "* ]] || return

    case $prev in
        --kubeconfig | -o) _podtap_files "$cur"; return ;;
        -w) _podtap_files "$cur"; [[ -n $cur ]] || COMPREPLY+=(-); return ;;
        --socket) _podtap_files "$cur"; return ;;
        --format) _podtap_reply -W "pcap pcapng" -- "$cur"; return ;;
        --tap-profile) _podtap_reply -W "default nonroot" -- "$cur"; return ;;
        --context)
            local contexts
            contexts=$(podtap contexts 2>/dev/null | awk 'NR > 1 { sub(/^\*/, ""); print $1 }')
            _podtap_reply -W "$contexts" -- "$cur"
            return
            ;;
    esac
    _podtap_takes_value "$prev" && return

    if [[ $cur == -* ]]; then
        _podtap_reply -W "$(_podtap_options "$cmd")" -- "$cur"
        return
    fi

    # The positional argument.
    case $cmd in
        inspect) _podtap_files "$cur" ;;
        stop | export | replay | connections | requests | rm)
            local ids
            ids=$(podtap sessions --no-start 2>/dev/null | awk 'NR > 1 { print $1 }')
            _podtap_reply -W "$ids" -- "$cur"
            [[ $cmd == replay ]] && { compopt -o filenames 2>/dev/null; mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur"); }
            ;;
        preflight | mirror | capture)
            if [[ $cur == pod/* ]]; then
                local pods args
                mapfile -t args < <(_podtap_kube_args)
                pods=$(timeout 10 podtap pods "${args[@]}" 2>/dev/null | awk 'NR > 1 { print "pod/" $1 }')
                _podtap_reply -W "$pods" -- "$cur"
            else
                _podtap_reply -W "pod/ deployment/ statefulset/ service/" -- "$cur"
                compopt -o nospace 2>/dev/null
            fi
            ;;
    esac
}

complete -F _podtap podtap
