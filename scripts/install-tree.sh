#!/bin/sh
# Installs the built tools into a package tree, at the paths of the C ocfs2-tools. Used by
# debian/rules and rpm/o2cb-rs.spec, so that both packages ship the same files.
#
#   scripts/install-tree.sh --layout deb|rpm --target-dir DIR --generated DIR --destdir DIR
#                           [--list FILE]
#
#   --target-dir  cargo's output directory of the release build (target/release)
#   --generated   what `cargo run -p docgen -- DIR` wrote (man/, completions/)
#   --list        write the installed files, one absolute path a line (the rpm %files)
#
# Each binary is installed only when the build produced it, with its man page and its
# completions: the tools still being written join the packages as soon as they build.
# The pages that belong to no binary (o2cb(7), the file formats) are always installed.
set -eu

layout="" target="" generated="" destdir="" list=""
while [ $# -gt 0 ]; do
    case "$1" in
        --layout) layout=$2 ;;
        --target-dir) target=$2 ;;
        --generated) generated=$2 ;;
        --destdir) destdir=$2 ;;
        --list) list=$2 ;;
        *) echo "install-tree.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift 2
done
case "$layout" in
    deb)
        unitdir=/lib/systemd/system
        zshdir=/usr/share/zsh/vendor-completions
        # /etc/init.d/o2cb belongs to ocfs2-tools (a conffile): postinst links it here.
        initscript=/usr/lib/o2cb-rs/o2cb.init.sh
        ;;
    rpm)
        unitdir=/usr/lib/systemd/system
        zshdir=/usr/share/zsh/site-functions
        initscript=/etc/rc.d/init.d/o2cb
        ;;
    *) echo "install-tree.sh: --layout deb or rpm" >&2; exit 2 ;;
esac
[ -n "$target" ] && [ -n "$generated" ] && [ -n "$destdir" ] || {
    echo "install-tree.sh: --target-dir, --generated and --destdir are required" >&2
    exit 2
}
here=$(cd "$(dirname "$0")/.." && pwd)
installed=""

put() { # MODE SOURCE PATH
    install -D -m "$1" "$2" "$destdir$3"
    installed="$installed$3
"
}

# cargo name -> installed name (cargo forbids dots in binary names).
for pair in o2cb:o2cb o2cb_ctl:o2cb_ctl o2cb_init:o2cb.init ocfs2_hb_ctl:ocfs2_hb_ctl \
    mount_ocfs2:mount.ocfs2 mounted_ocfs2:mounted.ocfs2; do
    cargo_name=${pair%%:*}
    name=${pair#*:}
    [ -x "$target/$cargo_name" ] || continue
    put 0755 "$target/$cargo_name" "/sbin/$name"
    [ -f "$generated/man/$name.8" ] && put 0644 "$generated/man/$name.8" "/usr/share/man/man8/$name.8"
    c=$generated/completions
    [ -f "$c/bash/$name" ] && put 0644 "$c/bash/$name" "/usr/share/bash-completion/completions/$name"
    [ -f "$c/zsh/_$name" ] && put 0644 "$c/zsh/_$name" "$zshdir/_$name"
    [ -f "$c/fish/$name.fish" ] && put 0644 "$c/fish/$name.fish" "/usr/share/fish/vendor_completions.d/$name.fish"
done
[ -x "$destdir/sbin/o2cb" ] || { echo "install-tree.sh: no o2cb in $target" >&2; exit 1; }

for page in o2cb.7 ocfs2.cluster.conf.5 o2cb.sysconfig.5; do
    put 0644 "$generated/man/$page" "/usr/share/man/man${page##*.}/$page"
done
put 0644 "$here/dist/o2cb.service" "$unitdir/o2cb.service"
put 0755 "$here/dist/o2cb.init.sh" "$initscript"

if [ -n "$list" ]; then
    printf '%s' "$installed" >"$list"
fi
