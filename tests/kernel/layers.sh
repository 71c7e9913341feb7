# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# layers.sh - the optional image layers, sourced by setup.sh (`setup.sh --layer NAME`).
#
# A layer is a second gzip'd cpio archive, cache/NAME.cpio.gz, that a runner appends to
# the base initramfs for the guests that need it (the kernel unpacks concatenated
# archives in order, later files winning).  The guests without it boot the base image
# unchanged, as fast and as small as before.  Each layer holds only files the layers
# below it lack, and /etc/rg-layers.d/NAME.sh (from guest/layers/NAME.sh), which the
# guest's /init sources before it runs anything: the directories, links and users the
# layer's programs need at run time.  The guest's list of layers is the names there.
#
#   ha         corosync 3 (knet), dlm_controld and dlm_tool, util-linux mount/umount (so
#              `mount -t ocfs2` runs the mount.ocfs2 helper first, as on a real system;
#              busybox's calls it only after mount(2) failed)
#   pacemaker  on top of ha: pacemakerd and its daemons, the command-line tools, the
#              CIB schemas, the OCF resource agents (ocf:pacemaker:controld,
#              ocf:heartbeat:Filesystem, ...)
#
# As for the base, the shared-library closure of every ELF file of a layer is checked
# with the staged loader: a library that is neither in the base, nor in a layer below,
# nor in this layer's packages fails the build.
#
# Uses from setup.sh: CACHE, LAYERS, log, die, have_deb, download_to, apt_update,
# lib_closure.

# layer -> the layers it sits on (built first; their files are there at run time)
declare -A LAYER_BELOW=([ha]="" [pacemaker]="ha")
# layer -> the memory of a guest with it (the base guest has 256 MiB, 384 MiB in the
# two-node runner).  corosync locks its memory (~128 MB resident); Pacemaker's six
# daemons and the 51 MB the layer unpacks to in the initramfs need more.
declare -A LAYER_MEM=([ha]=512M [pacemaker]=1024M)
# layer -> Debian packages: its programs and the libraries they need that the base
# image (or a layer below) lacks; libdlm3 and libmount1 are base packages, but the base
# ships only the libraries its own programs need (libdlm_lt, not libdlm; no libmount)
declare -A LAYER_PKGS=(
  [ha]="corosync dlm-controld mount libcfg7 libcpg4 libknet1 libnozzle1 libquorum5
        libvotequorum8 libstatgrab10 libdlmcontrol3 libnl-3-200 libnl-route-3-200
        libsmartcols1 libdlm3 libmount1"
  [pacemaker]="pacemaker pacemaker-common pacemaker-cli-utils pacemaker-resource-agents
        resource-agents libcib27 libcrmcluster29 libcrmcommon34 libcrmservice28 liblrmd28
        libpacemaker1 libpe-rules26 libpe-status28 libstonithd26 libxml2 libxslt1.1 libicu72
        libgnutls30 libpam0g libncurses6 libpils2 libltdl7 libdbus-1-3 libstdc++6
        libaudit1 libaudit-common libcap-ng0 libbz2-1.0 libgmp10 libnettle8 libhogweed6
        libidn2-0 libp11-kit0 libtasn1-6 libunistring2 libplumb2 libffi8 zlib1g
        psmisc util-linux dlm-controld"
)
# layer -> what of the packages goes in (files or whole directories, relative to /);
# the shared libraries they need are added by the closure
declare -A LAYER_FILES=(
  [ha]="usr/sbin/corosync usr/sbin/corosync-cfgtool usr/sbin/corosync-cmapctl
        usr/sbin/corosync-quorumtool usr/sbin/corosync-cpgtool usr/sbin/dlm_controld
        usr/sbin/dlm_tool bin/mount bin/umount"
  [pacemaker]="usr/sbin/pacemakerd usr/lib/pacemaker usr/share/pacemaker usr/lib/ocf
        usr/sbin/attrd_updater usr/sbin/cibadmin usr/sbin/crm_attribute usr/sbin/crm_diff
        usr/sbin/crm_error usr/sbin/crm_mon usr/sbin/crm_node usr/sbin/crm_resource
        usr/sbin/crm_rule usr/sbin/crm_shadow usr/sbin/crm_simulate usr/sbin/crm_ticket
        usr/sbin/crm_verify usr/sbin/crmadmin usr/sbin/iso8601 usr/sbin/stonith_admin
        usr/sbin/crm_failcount usr/sbin/crm_master usr/sbin/crm_standby
        bin/fuser sbin/fsck usr/sbin/dlm_stonith"
)
# (ocf:heartbeat:Filesystem refuses to run without fuser and fsck, which busybox lacks;
# dlm_controld's default fencing is "fence_all dlm_stonith", a helper that asks
# Pacemaker's fencer and links its libraries, so it belongs here, not in ha)

# layer_hash NAME: the layer's recipe (this file, its guest hook, its debs, the base and
# the layers below), so that a change to any of them rebuilds it
layer_hash() {
  local name=$1 b
  { cat "$HERE/layers.sh" "$HERE/guest/layers/$name.sh" | sha256sum
    cat "$CACHE/base.stamp"
    for b in ${LAYER_BELOW[$name]}; do cat "$CACHE/$b.stamp"; done
    (cd "$CACHE/debs-$name" && ls -1 -- *.deb) ; } | sha256sum | cut -c1-16
}

# build_layer NAME: cache/NAME.cpio.gz (and the tree cache/layer-NAME), unless up to date
# (or already seen to in this run)
declare -A LAYER_DONE=()
build_layer() {
  local name=$1 below b p f missing=() debs stage tree hash libs elfs allowed lp
  [ -n "${LAYER_PKGS[$name]+x}" ] || die "no such layer '$name' (known: ${!LAYER_PKGS[*]})"
  [ -z "${LAYER_DONE[$name]:-}" ] || return 0
  LAYER_DONE[$name]=1
  [ -f "$HERE/guest/layers/$name.sh" ] || die "layer $name: no guest/layers/$name.sh"
  below=${LAYER_BELOW[$name]}
  for b in $below; do build_layer "$b"; done
  debs="$CACHE/debs-$name"
  # shellcheck disable=SC2086 # a word list
  for p in ${LAYER_PKGS[$name]}; do have_deb "$p" "$debs" || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "layer $name: apt-get download ${missing[*]}"
    if ! download_to "$debs" "${missing[@]}"; then
      apt_update
      local left=()
      for p in "${missing[@]}"; do have_deb "$p" "$debs" || left+=("$p"); done
      download_to "$debs" "${left[@]}" || die "layer $name: download failed for some of: ${left[*]}"
    fi
  fi
  hash=$(layer_hash "$name")
  if [ "$FORCE" = 0 ] && [ -s "$CACHE/$name.cpio.gz" ] &&
     [ "$(cat "$CACHE/$name.stamp" 2>/dev/null)" = "$hash" ]; then
    log "layer $name up to date: $CACHE/$name.cpio.gz"
    return 0
  fi

  stage="$CACHE/stage-$name" tree="$CACHE/layer-$name"
  log "layer $name: extracting $(ls "$debs" | wc -l) debs"
  rm -rf "$stage" "$tree"; mkdir -p "$stage" "$tree/lib/x86_64-linux-gnu" "$tree/etc/rg-layers.d"
  for f in "$debs"/*.deb; do dpkg-deb -x "$f" "$stage"; done
  # shellcheck disable=SC2086 # a word list
  for f in ${LAYER_FILES[$name]}; do
    [ -e "$stage/$f" ] || die "layer $name: /$f not in its packages"
    mkdir -p "$tree/$(dirname "$f")"
    # a file replaces the busybox link of the same name when the archives are unpacked
    cp -a "$stage/$f" "$tree/$f"
  done

  # shared libraries: what the base or a layer below has is there at run time; what
  # this layer's packages have is copied in; anything else fails the build
  elfs=$(find "$tree" -type f -exec sh -c 'head -c 4 "$1" | grep -q "^.ELF" && echo "$1"' _ {} \;)
  lp="$CACHE/rootfs/lib/x86_64-linux-gnu" allowed="$CACHE/rootfs"
  for b in $below; do lp="$lp:$CACHE/layer-$b/lib/x86_64-linux-gnu"; allowed="$allowed:$CACHE/layer-$b"; done
  # (cluster-glue's libpils and libplumb live in /usr/lib itself)
  lp="$lp:$stage/lib/x86_64-linux-gnu:$stage/usr/lib/x86_64-linux-gnu:$stage/lib:$stage/usr/lib"
  allowed="$allowed:$stage"
  # shellcheck disable=SC2086 # paths without blanks
  libs=$(lib_closure "$CACHE/rootfs/lib64/ld-linux-x86-64.so.2" "$lp" "$allowed" $elfs)
  for f in $libs; do
    case $f in "$stage"/*) cp -L "$f" "$tree/lib/x86_64-linux-gnu/" ;; esac
  done

  install -m 0644 "$HERE/guest/layers/$name.sh" "$tree/etc/rg-layers.d/$name.sh"
  (cd "$tree" && find . -mindepth 1 | LC_ALL=C sort | "$CACHE/busybox" cpio -o -H newc 2>/dev/null) |
    gzip -1 > "$CACHE/$name.cpio.gz.tmp"
  mv "$CACHE/$name.cpio.gz.tmp" "$CACHE/$name.cpio.gz"
  echo "$hash" > "$CACHE/$name.stamp"
  [ "$KEEP_STAGE" = 1 ] || rm -rf "$stage"
  log "layer $name: $(du -h "$CACHE/$name.cpio.gz" | cut -f1) gzip'd, $(du -sh "$tree" | cut -f1) unpacked," \
      "$(echo "$elfs" | wc -w) ELF files, $(echo "$libs" | grep -c "^$stage/") libraries of its own"
}
