#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# setup.sh - fetch what the kernel test guest needs from Debian bookworm
# packages and build the base initramfs.  Called by run-guest.sh (and so by
# run-suite.sh); run it by hand only to prepare or inspect the cache.
#
# usage: setup.sh [--force] [--clean] [--keep-stage] [--layer NAME]...
#   --force       rebuild the initramfs even if it looks up to date
#   --clean       wipe the cache first (also forgets the pinned kernel)
#   --keep-stage  keep cache/stage (all debs extracted, ~450 MB) for inspection
#   --layer NAME  also build the image layer NAME (layers.sh: ha = corosync,
#                 dlm_controld, util-linux mount; pacemaker = Pacemaker and the
#                 resource agents, on top of ha) as cache/NAME.cpio.gz, which a
#                 runner appends to the base initramfs only for the guests that
#                 need it; repeatable, or "a,b"
#
# Host: Debian bookworm x86_64 as root (or with sudo).  Missing host tools
# (qemu-system-x86, ...) are installed with apt-get; nothing but the Debian
# archive is contacted.
#
# Kernel choice (the guest kernel is what the kernel tests run against, so it
# must not change under our feet):
#   1. RG_KERNEL_PKG=linux-image-6.1.0-NN-amd64 wins when set;
#   2. else the package recorded in cache/kernel-pkg by an earlier run
#      (sticky: a new Debian kernel does not change a populated cache);
#   3. else what linux-image-amd64 depends on, after `apt-get update` if the
#      apt lists are empty or stale (download fails);
#   4. else the newest linux-image-<ver>-amd64 apt knows about.
#
# Result, all under $RG_CACHE (default: <this dir>/cache, git-ignored):
#   debs/          the downloaded .deb files
#   kernel-pkg     the pinned kernel package name
#   rootfs/        the guest root (busybox, modules, ocfs2-tools + libs, strace, /init)
#   base.cpio.gz   rootfs packed as a newc cpio archive
#   vmlinuz, KVER  the guest kernel and its release string
#   busybox        static busybox used on the host for cpio
#   base.stamp     hash of the recipe the initramfs was built from
#   debs-NAME/, NAME.cpio.gz, NAME.stamp   the same for each layer built
set -euo pipefail

# the header comment above is the help text
help_text() { awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${RG_CACHE:-$HERE/cache}"
FORCE=0 KEEP_STAGE=0 LAYERS=''
while [ $# -gt 0 ]; do
  case "$1" in
    --force) FORCE=1 ;;
    --clean) rm -rf "$CACHE"; FORCE=1 ;;
    --keep-stage) KEEP_STAGE=1 ;;
    --layer) [ $# -ge 2 ] || { echo "setup.sh: --layer needs a name" >&2; exit 2; }
             LAYERS="$LAYERS ${2//,/ }"; shift ;;
    -h|--help) help_text; exit 0 ;;
    *) echo "setup.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$CACHE/debs"

log() { echo "[setup] $*" >&2; }
die() { echo "setup.sh: $*" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
APT_UPDATED=0
apt_update() { # at most once per run: it is slow and needs the network
  [ "$APT_UPDATED" = 1 ] && return 0
  APT_UPDATED=1
  log "apt-get update"
  $SUDO apt-get update >&2 || log "warning: apt-get update failed"
}

# ---------------------------------------------------------------- host tools
need_pkgs=()
command -v qemu-system-x86_64 >/dev/null || need_pkgs+=(qemu-system-x86)
command -v dpkg-deb >/dev/null || need_pkgs+=(dpkg)
command -v gzip >/dev/null || need_pkgs+=(gzip)
command -v flock >/dev/null || need_pkgs+=(util-linux)
command -v timeout >/dev/null || need_pkgs+=(coreutils)
command -v sha256sum >/dev/null || need_pkgs+=(coreutils)
command -v depmod >/dev/null || need_pkgs+=(kmod)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing host packages: ${need_pkgs[*]}"
  # a fresh machine may have empty or stale apt lists: update and retry once
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_pkgs[@]}" >&2 || {
    apt_update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_pkgs[@]}" >&2
  }
fi

# lib_closure LDSO LIBPATH ALLOWED FILE...: the shared libraries FILE... need, one path a
# line, as the staged dynamic loader resolves them along LIBPATH.  ld.so also searches
# the host's own directories after LIBPATH; a library found only there is not in the
# guest, so anything resolved outside the ALLOWED directories (":"-separated prefixes)
# fails the build, as does one not found at all.
lib_closure() {
  local ldso=$1 lp=$2 allowed=$3 out bad
  shift 3
  out=$(for f in "$@"; do "$ldso" --library-path "$lp" --list "$f" || echo "LDSO-FAILED: $f"; done |
        awk '/=> not found/{print "MISSING:"$1; next} /^LDSO-FAILED/{print; next} /=> \//{print $3}' | sort -u)
  bad=$(echo "$out" | awk -v ok="$allowed" '
    BEGIN { n = split(ok, a, ":") }
    /^(MISSING:|LDSO-FAILED)/ { print; next }
    { for (i = 1; i <= n; i++) if (a[i] != "" && index($0, a[i] "/") == 1) next; print "OUTSIDE:" $0 }')
  [ -z "$bad" ] || die "unresolved libraries: $(echo "$bad" | tr '\n' ' ')"
  echo "$out"
}

# ---------------------------------------------------------------- kernel pin
have_deb() { compgen -G "${2:-$CACHE/debs}/${1}_*.deb" >/dev/null; }   # PKG [DIR]
resolve_meta() { # what linux-image-amd64 points at, per the local apt lists
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/{print $2; exit}'
}
resolve_newest() { # fallback: the newest versioned amd64 kernel apt knows about
  apt-cache search --names-only '^linux-image-[0-9][0-9.]*-[0-9]+-amd64$' 2>/dev/null |
    awk '{print $1}' | sort -V | tail -1
}
download() { download_to "$CACHE/debs" "$@"; }
download_to() { # DIR PKG...: apt-get download into DIR; true if all arrived
  local dir=$1 p
  shift
  mkdir -p "$dir"
  # apt's _apt user may not be able to write here; that is only a warning
  (cd "$dir" && apt-get download "$@" 2>&1 |
     grep -v -e '^W: Download is performed unsandboxed' >&2) || true
  for p in "$@"; do have_deb "$p" "$dir" || return 1; done
}

KPKG="${RG_KERNEL_PKG:-}"
if [ -z "$KPKG" ] && [ -s "$CACHE/kernel-pkg" ]; then
  KPKG=$(cat "$CACHE/kernel-pkg")
fi
if [ -z "$KPKG" ]; then
  KPKG=$(resolve_meta)
  if [ -z "$KPKG" ]; then apt_update; KPKG=$(resolve_meta); fi
  [ -n "$KPKG" ] || KPKG=$(resolve_newest)
  [ -n "$KPKG" ] || die "cannot resolve a kernel package (apt lists empty? set RG_KERNEL_PKG)"
fi
if ! have_deb "$KPKG"; then
  log "apt-get download $KPKG"
  if ! download "$KPKG"; then
    # stale lists point at a kernel the archive no longer has: refresh and
    # take what linux-image-amd64 points at now, unless the user pinned one
    apt_update
    if [ -z "${RG_KERNEL_PKG:-}" ]; then
      KPKG=$(resolve_meta); [ -n "$KPKG" ] || KPKG=$(resolve_newest)
    fi
    if [ -z "$KPKG" ] || ! download "$KPKG"; then
      die "download of kernel package ${KPKG:-?} failed"
    fi
  fi
  FORCE=1
fi
echo "$KPKG" > "$CACHE/kernel-pkg"

# ---------------------------------------------------------------- other debs
# busybox for the guest userland, ocfs2-tools (the C reference) and strace,
# with the shared-library closure of their binaries (checked with ld.so
# --list below: a missing library fails the build, so this list stays honest).
PKGS=(
  busybox-static ocfs2-tools strace bash coreutils kmod libkmod2 libssl3
  libc6 libgcc-s1 libaio1 libcmap4 libcorosync-common4 libqb100 libdlm3
  libcom-err2 libuuid1 libblkid1 libglib2.0-0 libpcre2-8-0 libffi8 libmount1
  libselinux1 zlib1g libreadline8 libtinfo6 libsystemd0 libcap2 libgcrypt20
  libgpg-error0 liblz4-1 liblzma5 libzstd1 libunwind8
)
missing=()
for p in "${PKGS[@]}"; do have_deb "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get download ${missing[*]}"
  if ! download "${missing[@]}"; then
    apt_update
    left=(); for p in "${missing[@]}"; do have_deb "$p" || left+=("$p"); done
    download "${left[@]}" || die "download failed for some of: ${left[*]}"
  fi
  FORCE=1
fi

# ---------------------------------------------------------------- layers
# The HA layers are built on top of the base rootfs (layers.sh); the base recipe does
# not include them, so the base image stays what it is for the guests without them.
# shellcheck source=layers.sh
. "$HERE/layers.sh"
build_layers() {
  local l
  for l in $LAYERS; do build_layer "$l"; done
}

# ---------------------------------------------------------------- up to date?
# The recipe: this script, the guest /init and the exact set of debs.  A hash
# rather than mtimes, because a fresh git clone gives every file a new mtime.
recipe_hash() {
  { cat "$0" "$HERE/guest/init" | sha256sum   # contents only, not the path
    echo "$KPKG"
    (cd "$CACHE/debs" && ls -1 -- *.deb) ; } | sha256sum | cut -c1-16
}
HASH=$(recipe_hash)
if [ $FORCE = 0 ] && [ -s "$CACHE/base.cpio.gz" ] && [ -s "$CACHE/vmlinuz" ] &&
   [ -x "$CACHE/busybox" ] && [ "$(cat "$CACHE/base.stamp" 2>/dev/null)" = "$HASH" ]; then
  log "up to date: $(cat "$CACHE/KVER") ($KPKG), $CACHE/base.cpio.gz"
  build_layers
  exit 0
fi

# ---------------------------------------------------------------- extract
STAGE="$CACHE/stage"
log "extracting debs into $STAGE"
rm -rf "$STAGE"; mkdir -p "$STAGE"
for d in "$CACHE"/debs/*.deb; do
  b=$(basename "$d")
  case "$b" in
    "${KPKG}_"*) ;;
    linux-image-*) continue ;;   # an older pinned kernel still in debs/
  esac
  dpkg-deb -x "$d" "$STAGE"
done
[ -d "$STAGE/lib/modules" ] || die "kernel package $KPKG has no modules"
KVER=$(basename "$(find "$STAGE/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -1)")
BB="$STAGE/bin/busybox"
[ -x "$BB" ] || die "busybox missing in stage"

# ---------------------------------------------------------------- rootfs
ROOT="$CACHE/rootfs"
log "building rootfs in $ROOT (kernel $KVER)"
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,lib64,lib/x86_64-linux-gnu,etc/ocfs2,proc,sys,dev,tmp,run,mnt,root,var/run,extra,opt/rs/sbin}
chmod 1777 "$ROOT/tmp"

# busybox + applet links (never overwrite the ocfs2-tools binaries)
cp "$BB" "$ROOT/bin/busybox"
for app in $("$BB" --list-full); do
  [ "$app" = bin/busybox ] && continue
  [ -e "$ROOT/$app" ] && continue
  mkdir -p "$ROOT/$(dirname "$app")"
  ln -s /bin/busybox "$ROOT/$app"
done

# ocfs2-tools binaries + strace (replace any busybox link of the same name)
OCFS2_BINS=$(cd "$STAGE" && ls sbin/*ocfs2* sbin/o2* usr/sbin/o2* usr/bin/o2* usr/bin/strace 2>/dev/null)
for b in $OCFS2_BINS; do
  rm -f "$ROOT/$b"; cp -a "$STAGE/$b" "$ROOT/$b"
done
for b in sbin/mkfs.ocfs2 sbin/mount.ocfs2 sbin/o2cb sbin/o2cb_ctl sbin/ocfs2_hb_ctl sbin/mounted.ocfs2 usr/bin/strace; do
  [ -x "$ROOT/$b" ] || die "expected /$b in the guest, not found"
done
# The C init script (/etc/init.d/o2cb), so that o2cb.init's transcript can be compared
# with it: it needs bash, GNU stat (`stat -f --printf`) and an LSB functions file to
# source (it uses none of its functions for the o2cb stack).
mkdir -p "$ROOT/etc/init.d" "$ROOT/lib/lsb"
cp -a "$STAGE/etc/init.d/o2cb" "$ROOT/etc/init.d/o2cb"
cp -a "$STAGE/bin/bash" "$ROOT/bin/bash"
rm -f "$ROOT/bin/stat"; cp -a "$STAGE/usr/bin/stat" "$ROOT/bin/stat"
echo "# stub: the o2cb init script sources this file" > "$ROOT/lib/lsb/init-functions"
# kmod's modprobe, as on a real Debian system (busybox's `modprobe -r M` fails when a
# dependency of M is still in use, even though it removed M).
cp -a "$STAGE/bin/kmod" "$ROOT/bin/kmod"
for t in modprobe rmmod insmod lsmod modinfo depmod; do
  rm -f "$ROOT/sbin/$t" "$ROOT/bin/$t"; ln -s /bin/kmod "$ROOT/sbin/$t"
done
EXTRA_BINS="bin/bash usr/bin/stat bin/kmod"

# shared libraries: closure via the staged dynamic loader
LDSO="$STAGE/lib64/ld-linux-x86-64.so.2"
LP="$STAGE/lib/x86_64-linux-gnu:$STAGE/usr/lib/x86_64-linux-gnu"
# shellcheck disable=SC2046 # a word list of paths without blanks
libs=$(lib_closure "$LDSO" "$LP" "$STAGE" $(for b in $OCFS2_BINS $EXTRA_BINS; do echo "$STAGE/$b"; done))
for l in $libs; do
  cp -L "$l" "$ROOT/lib/x86_64-linux-gnu/$(basename "$l")"
done
cp -L "$LDSO" "$ROOT/lib64/ld-linux-x86-64.so.2"
cp -L "$LDSO" "$ROOT/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
# dlopen()ed NSS module, plus what a dynamically linked Rust program built on
# bookworm needs (libgcc_s for unwinding; the glibc 2.34+ stub libraries
# that older link lines may still name)
# libblkid: our tools find block devices through it (the C tools do not link it).
for x in libnss_files.so.2 libresolv.so.2 libgcc_s.so.1 libpthread.so.0 libdl.so.2 librt.so.1 libutil.so.1 libm.so.6 libblkid.so.1; do
  for d in lib usr/lib; do
    if [ -e "$STAGE/$d/x86_64-linux-gnu/$x" ]; then cp -L "$STAGE/$d/x86_64-linux-gnu/$x" "$ROOT/lib/x86_64-linux-gnu/"; fi
  done
done

# kernel modules: closure of the wanted set, from modules.dep
MODDIR="$STAGE/lib/modules/$KVER"
if [ ! -s "$MODDIR/modules.dep" ]; then
  log "generating modules.dep with busybox depmod"
  "$BB" depmod -b "$STAGE" "$KVER"
fi
# AUTOLOAD: insmod'ed by /init in this order (after their dependencies).
# EXTRA: shipped in the initramfs, loaded only on demand (modprobe).
AUTOLOAD="virtio_pci virtio_blk crc32c_generic configfs jbd2 quota_tree
  ocfs2_nodemanager ocfs2_stackglue ocfs2_dlm ocfs2_dlmfs ocfs2_stack_o2cb ocfs2"
EXTRA_MODS="${RG_EXTRA_MODULES:-dlm ocfs2_stack_user loop virtio_net}"
declare -A seen=()
order=()
modpath() { awk -v m="$1" -F: '{n=$1; sub(".*/","",n); sub("\\.ko(\\.[a-z]+)?$","",n); gsub("-","_",n); if (n==m) {print $1; exit}}' "$MODDIR/modules.dep"; }
visit() { # depth-first topological order over modules.dep
  local path="$1" deps d
  [ -n "${seen[$path]:-}" ] && return 0
  seen[$path]=1
  deps=$(awk -v p="$path" -F': ?' '$1==p{print $2; exit}' "$MODDIR/modules.dep")
  for d in $deps; do visit "$d"; done
  order+=("$path")
}
for m in $AUTOLOAD; do
  p=$(modpath "$m"); [ -n "$p" ] || die "module $m not found in $KVER"
  visit "$p"
done
autoload_order=("${order[@]}")
for m in $EXTRA_MODS; do
  p=$(modpath "$m"); [ -n "$p" ] || { log "warning: extra module $m not found, skipped"; continue; }
  visit "$p"
done
mkdir -p "$ROOT/lib/modules/$KVER"
for p in "${order[@]}"; do
  mkdir -p "$ROOT/lib/modules/$KVER/$(dirname "$p")"
  cp "$MODDIR/$p" "$ROOT/lib/modules/$KVER/$p"
done
cp "$MODDIR/modules.order" "$MODDIR/modules.builtin" "$ROOT/lib/modules/$KVER/" 2>/dev/null || true
# kmod's depmod (the indexes kmod's modprobe needs); busybox's where kmod is missing
if command -v depmod >/dev/null && depmod -V 2>/dev/null | grep -q kmod; then
  depmod -b "$ROOT" "$KVER"
else
  "$BB" depmod -b "$ROOT" "$KVER"
fi
printf '%s\n' "${autoload_order[@]}" > "$ROOT/etc/rg-modules"

# /init and small config files
install -m 0755 "$HERE/guest/init" "$ROOT/init"
echo "$KVER" > "$ROOT/etc/rg-kver"
echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOT/etc/passwd"
echo 'root:x:0:' > "$ROOT/etc/group"
echo 'hosts: files' > "$ROOT/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n' > "$ROOT/etc/hosts"
ln -sf /proc/mounts "$ROOT/etc/mtab"
# ocfs2-tools reads /etc/default/o2cb for the stack and timeouts
mkdir -p "$ROOT/etc/default"
cat > "$ROOT/etc/default/o2cb" <<'EOF'
O2CB_ENABLED=true
O2CB_STACK=o2cb
O2CB_BOOTCLUSTER=ocfs2
O2CB_HEARTBEAT_THRESHOLD=31
O2CB_IDLE_TIMEOUT_MS=30000
O2CB_KEEPALIVE_DELAY_MS=2000
O2CB_RECONNECT_DELAY_MS=2000
EOF

# ---------------------------------------------------------------- pack
cp "$STAGE/boot/vmlinuz-$KVER" "$CACHE/vmlinuz"
cp "$BB" "$CACHE/busybox"
echo "$KVER" > "$CACHE/KVER"
log "packing base.cpio.gz"
(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | "$BB" cpio -o -H newc 2>/dev/null) |
  gzip -1 > "$CACHE/base.cpio.gz.tmp"
mv "$CACHE/base.cpio.gz.tmp" "$CACHE/base.cpio.gz"
echo "$HASH" > "$CACHE/base.stamp"
# the extracted tree is ~450 MB, mostly kernel modules we do not ship; it is
# rebuilt from debs/ in a few seconds whenever the recipe changes
[ "$KEEP_STAGE" = 1 ] || rm -rf "$STAGE"
log "done: $(du -h "$CACHE/base.cpio.gz" | cut -f1) initramfs, kernel $KVER ($KPKG)"
build_layers
