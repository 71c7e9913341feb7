#!/usr/bin/env bash
# The packages, end to end (CI calls it, as root, on a Debian bookworm machine):
#   1. checks debian/copyright against Cargo.lock (scripts/gen-copyright.py --check), runs
#      lintian on a source package of the checkout (no errors or warnings: lintian checks
#      debian/copyright's DEP-5 structure only there), builds the .deb
#      (dpkg-buildpackage -b -us -uc) and runs lintian on it (no errors or warnings);
#   2. installs it over Debian's ocfs2-tools and checks that /sbin/o2cb is ours, that the
#      C files were diverted, that `/sbin/o2cb --version` and a config command work, and
#      that the installed pages document what the installed binaries accept;
#   3. removes it and checks that the C tools are back (/sbin/o2cb -V: o2cb 1.8.7);
#   4. builds the .rpm (rpmbuild -bb) and compares its file list with the .deb's;
#   5. lints the man pages (scripts/man-check.sh).
# It installs what it needs (dpkg-dev debhelper lintian rpm mandoc ocfs2-tools and the
# build dependencies, build-essential among them) and, whatever happens, leaves the machine as it found it: the
# package purged, the C tools restored, build outputs removed (trap).
#
# The Rust toolchain is the cargo on PATH; the build reuses target/ (CARGO_TARGET_DIR),
# so after scripts/test.sh has built the release binaries it only links what is new.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
pkg=o2cb-rs

step_start=$SECONDS
step() {
    echo "package-check: $1 (after $((SECONDS - step_start)) s)"
}
fail() {
    echo "package-check: FAILED: $*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || fail "run as root: it installs and removes a package"
command -v cargo >/dev/null || fail "no cargo on PATH"

needed=(build-essential dpkg-dev debhelper lintian rpm mandoc ocfs2-tools libblkid-dev libclang-dev)
missing=()
for p in "${needed[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]}"
    if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ]; then
        apt-get update -qq
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi

# installed, config-files, not-installed, ... or nothing for a package dpkg never saw.
state() { dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true; }
case "$(state)" in
    "" | not-installed) ;;
    *) fail "$pkg is already on this machine ($(state)); this check installs and purges it (dpkg --purge $pkg first)" ;;
esac

version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
parent=$(dirname "$repo")
work=$(mktemp -d)
artifacts=("${pkg}_${version}_${arch}.deb" "${pkg}_${version}_${arch}.buildinfo"
    "${pkg}_${version}_${arch}.changes" "${pkg}-dbgsym_${version}_${arch}.deb")

# Whatever happens: the package gone, every diversion it made undone, the C tools in
# place, no build output left beside or inside the checkout.
cleanup() {
    local status=$?
    set +e
    case "$(state)" in
        "" | not-installed) ;;
        *) dpkg --purge "$pkg" >/dev/null 2>&1 || echo "package-check: could not purge $pkg" >&2 ;;
    esac
    if [ "$(readlink /etc/init.d/o2cb 2>/dev/null)" = /usr/lib/o2cb-rs/o2cb.init.sh ]; then
        rm -f /etc/init.d/o2cb
    fi
    dpkg-divert --list | while read -r _ _ path _ _ _ by; do
        [ "$by" = "$pkg" ] && dpkg-divert --package "$pkg" --rename --remove "$path" >/dev/null
    done
    for a in "${artifacts[@]}"; do rm -f "$parent/$a"; done
    (cd "$repo" && debian/rules clean >/dev/null 2>&1)
    rm -rf "$repo/target/rpm-generated" "$repo/target/rpm-files.list"
    rm -rf "$work"
    if [ "$status" -ne 0 ]; then
        echo "package-check: FAILED (exit $status); the machine was restored" >&2
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. the .deb -----------------------------------------------------------------------
step "checking debian/copyright and the rpm License tag against Cargo.lock"
scripts/gen-copyright.py --check >/dev/null || fail "debian/copyright or rpm/o2cb-rs.spec is out of date: run scripts/gen-copyright.py"

# The files git would commit, as they are in the checkout (uncommitted edits included),
# before the .deb's build adds its outputs to debian/.
step "lintian on the source package"
src=$work/source/$pkg-$version
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf - | tar -xf - -C "$src"
(cd "$work/source" && dpkg-source -b "$pkg-$version") >"$work/dpkg-source.log" 2>&1 ||
    { cat "$work/dpkg-source.log"; fail "dpkg-source -b"; }
lintian --fail-on error,warning --tag-display-limit 0 "$work/source/${pkg}_${version}.dsc" ||
    fail "lintian reports errors or warnings on the source package"

step "building the .deb"
dpkg-buildpackage -b -us -uc >"$work/dpkg-buildpackage.log" 2>&1 ||
    { tail -40 "$work/dpkg-buildpackage.log"; fail "dpkg-buildpackage"; }
for a in "${artifacts[@]}"; do
    [ -e "$parent/$a" ] && mv "$parent/$a" "$work/"
done
deb=$work/${pkg}_${version}_${arch}.deb
[ -f "$deb" ] || fail "no $deb"

step "lintian"
lintian --fail-on error,warning --tag-display-limit 0 "$work/${pkg}_${version}_${arch}.changes" ||
    fail "lintian reports errors or warnings"

# --- 2. installed over ocfs2-tools -------------------------------------------------------
c_version=$(/sbin/o2cb -V 2>&1 || true)
[ "$c_version" = "o2cb 1.8.7" ] || fail "before installing: /sbin/o2cb -V says '$c_version', not the C tool's 'o2cb 1.8.7'"

step "installing $(basename "$deb")"
dpkg -i "$deb" >"$work/dpkg-i.log" 2>&1 || { cat "$work/dpkg-i.log"; fail "dpkg -i"; }

[ "$(dpkg-divert --listpackage /sbin/o2cb)" = "$pkg" ] || fail "/sbin/o2cb is not diverted by $pkg"
dpkg-query -L "$pkg" | grep -qx /sbin/o2cb || fail "/sbin/o2cb is not in $pkg"
# The C tool names itself after argv[0]: `o2cb.ocfs2-tools 1.8.7`.
c_moved=$(/sbin/o2cb.ocfs2-tools -V 2>&1 || true)
[ "$c_moved" = "o2cb.ocfs2-tools 1.8.7" ] || fail "the C o2cb is not at /sbin/o2cb.ocfs2-tools ($c_moved)"

# `--version` prints on stderr and exits 1, like the reference's -V.
set +e
ours=$(/sbin/o2cb --version 2>&1)
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "/sbin/o2cb --version exited $rc, not 1"
case "$ours" in "o2cb 1.8."*"(o2cb-rs "*) ;; *) fail "/sbin/o2cb --version says '$ours'" ;; esac
echo "package-check: /sbin/o2cb --version: $ours"

conf=$work/cluster.conf
/sbin/o2cb --config-file="$conf" add-cluster x
grep -q '^	name = x$' "$conf" || fail "add-cluster x did not write the cluster: $(cat "$conf")"
[ "$(/sbin/o2cb --config-file="$conf" list-clusters)" = x ] || fail "list-clusters does not list x"

[ "$(readlink /etc/init.d/o2cb)" = /usr/lib/o2cb-rs/o2cb.init.sh ] || fail "/etc/init.d/o2cb is not our wrapper"
init_usage=$(/etc/init.d/o2cb 2>&1 || true)
case "$init_usage" in "Usage: /etc/init.d/o2cb {start|"*) ;; *) fail "/etc/init.d/o2cb says '$init_usage'" ;; esac
[ -f /etc/ocfs2/o2cb.init.ocfs2-tools ] || fail "the C init script was not diverted"
zcat /usr/share/man/man8/o2cb.8.gz | grep -q 'o2cb-rs' || fail "o2cb(8) is not ours"
[ -f /usr/share/man/man8/o2cb.ocfs2-tools.8.gz ] || fail "the C o2cb(8) was not diverted"
[ -f /usr/share/bash-completion/completions/o2cb ] || fail "no bash completion"
[ -f /lib/systemd/system/o2cb.service ] || fail "no o2cb.service"

step "checking the installed pages against the installed binaries"
pages=$work/pages
mkdir -p "$pages/man"
for f in $(dpkg-query -L "$pkg" | grep '^/usr/share/man/man./.*\.gz$'); do
    zcat "$f" >"$pages/man/$(basename "$f" .gz)"
done
mkdir -p "$pages/completions"
cp -r debian/generated/completions/. "$pages/completions/"
scripts/man-check.sh --generated "$pages" --bin-dir /sbin

# --- 3. removed: the C tools are back ------------------------------------------------
step "removing $pkg"
dpkg -r "$pkg" >"$work/dpkg-r.log" 2>&1 || { cat "$work/dpkg-r.log"; fail "dpkg -r"; }
back=$(/sbin/o2cb -V 2>&1 || true)
[ "$back" = "o2cb 1.8.7" ] || fail "after removal /sbin/o2cb -V says '$back'"
echo "package-check: after removal /sbin/o2cb -V: $back"
if dpkg-divert --list | grep -q " by $pkg\$"; then
    fail "diversions left: $(dpkg-divert --list | grep " by $pkg\$")"
fi
[ -f /etc/init.d/o2cb ] && [ ! -L /etc/init.d/o2cb ] || fail "/etc/init.d/o2cb is not the C script again"
head -1 /etc/init.d/o2cb | grep -q bash || fail "/etc/init.d/o2cb is not the C script again"
zcat /usr/share/man/man8/o2cb.8.gz | grep -q 'Oracle' || fail "o2cb(8) of ocfs2-tools is not back"
dpkg --purge "$pkg" >/dev/null
case "$(state)" in "" | not-installed) ;; *) fail "$pkg not purged: $(state)" ;; esac

# --- 4. the .rpm -----------------------------------------------------------------------
step "building the .rpm"
# --nodeps: the build dependencies are Debian packages here, not rpms.
rpmbuild -bb --build-in-place --nodeps --define "_topdir $work/rpmbuild" rpm/o2cb-rs.spec \
    >"$work/rpmbuild.log" 2>&1 || { tail -40 "$work/rpmbuild.log"; fail "rpmbuild"; }
rpm=$(ls "$work"/rpmbuild/RPMS/*/${pkg}-*.rpm)
# The same binaries, pages and completions as the .deb (the directories of the unit,
# the init script and zsh differ by distribution).
names() { grep -E '^/(sbin|usr/share/man|usr/share/(bash-completion|zsh|fish))/' | sed 's/\.gz$//' | xargs -n1 basename | sort; }
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\.||' | names >"$work/deb.files"
rpm -qlp "$rpm" 2>/dev/null | names >"$work/rpm.files"
diff -u "$work/deb.files" "$work/rpm.files" || fail "the .rpm and the .deb ship different files"
echo "package-check: $(basename "$rpm"): $(wc -l <"$work/rpm.files") files, the same as the .deb"

# --- 5. the man pages --------------------------------------------------------------------
step "linting the man pages"
scripts/man-check.sh --generated debian/generated

step "OK"
