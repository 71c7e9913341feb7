#!/usr/bin/env bash
# Lints the man pages and checks them against the binaries (CI calls it).
#
#   scripts/man-check.sh [--generated DIR] [--bin-dir DIR]
#
#   --generated DIR  pages already written by `cargo run -p docgen -- DIR` (else they are
#                    generated into a temporary directory)
#   --bin-dir DIR    also run each binary found in DIR (installed names, /sbin, or cargo
#                    names, target/release) and check that every option its usage text
#                    shows is in its page
#
# `mandoc -T lint -W all` must print nothing for any page (style messages included), and
# the completion scripts must parse in zsh and fish where those shells are installed.
# The Rust tests (crates/docgen/tests/pages.rs) hold the pages to the option tables; this
# holds them to what the built binaries print.
set -euo pipefail
cd "$(dirname "$0")/.."

generated="" bindir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --generated) generated=$2; shift 2 ;;
        --bin-dir) bindir=$2; shift 2 ;;
        *) echo "usage: $0 [--generated DIR] [--bin-dir DIR]" >&2; exit 2 ;;
    esac
done
command -v mandoc >/dev/null || { echo "man-check: mandoc is not installed (apt-get install mandoc)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "$generated" ]; then
    generated=$tmp/generated
    cargo run -q -p docgen -- "$generated" >/dev/null
fi

failed=0
pages=0
for page in "$generated"/man/*; do
    pages=$((pages + 1))
    out=$(mandoc -T lint -W all "$page" 2>&1 || true)
    if [ -n "$out" ]; then
        echo "$out"
        failed=$((failed + 1))
    fi
done
echo "man-check: mandoc -T lint -W all on $pages pages: $failed with messages"

for shell in zsh fish; do
    command -v "$shell" >/dev/null || continue
    for f in "$generated/completions/$shell"/*; do
        "$shell" -n "$f" || { echo "man-check: $f does not parse in $shell"; failed=$((failed + 1)); }
    done
done
for f in "$generated/completions/bash"/*; do
    bash -n "$f" || { echo "man-check: $f does not parse in bash"; failed=$((failed + 1)); }
done

# The options a usage text shows: words starting with - or --; a clustered `-dfv` is
# three options, as getopt reads it.
options_of() {
    grep -oE '(^|[][ |{(	])--?[A-Za-z0-9][A-Za-z0-9-]*' | sed -E 's/^[][ |{(	]//' |
        while read -r o; do
            case "$o" in
                --*) printf '%s\n' "$o" ;;
                *) for ((i = 1; i < ${#o}; i++)); do printf -- '-%s\n' "${o:i:1}"; done ;;
            esac
        done | sort -u
}

checked=0
if [ -n "$bindir" ]; then
    for pair in o2cb:o2cb o2cb_ctl:o2cb_ctl o2cb_init:o2cb.init ocfs2_hb_ctl:ocfs2_hb_ctl \
        mount_ocfs2:mount.ocfs2 mounted_ocfs2:mounted.ocfs2; do
        name=${pair#*:}
        bin=$bindir/$name
        [ -x "$bin" ] || bin=$bindir/${pair%%:*}
        [ -x "$bin" ] || continue
        # Without arguments every tool prints its usage (mount.ocfs2 inside its error);
        # -h only where that did not, since mounted.ocfs2 -h scans the disks.
        usage=$("$bin" </dev/null 2>&1 || true)
        if ! grep -qi usage <<<"$usage"; then
            usage+=$'\n'$("$bin" -h </dev/null 2>&1 || true)
        fi
        # getopt's own complaints (`invalid option -- 'h'`) name no option of the tool.
        usage=$(grep -v "invalid option" <<<"$usage" || true)
        # Rendered text, bold and underline overstrikes removed.
        text=$(mandoc -T utf8 "$generated/man/$name.8" | sed 's/.\x08//g')
        while read -r option; do
            [ -n "$option" ] || continue
            checked=$((checked + 1))
            if ! grep -qE -- "(^|[^A-Za-z0-9-])$option([^A-Za-z0-9-]|\$)" <<<"$text"; then
                echo "man-check: $name.8 does not mention $option (from: $bin's usage)"
                failed=$((failed + 1))
            fi
        done < <(options_of <<<"$usage")
    done
    echo "man-check: $checked options of the binaries' usage texts looked up in their pages"
    [ "$checked" -gt 0 ] || { echo "man-check: no binary found in $bindir"; failed=$((failed + 1)); }
fi

if [ "$failed" -ne 0 ]; then
    echo "man-check: FAILED ($failed problems)"
    exit 1
fi
echo "man-check: OK"
