#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, skipping those already there.
#   libblkid-dev libclang-dev  blkid-sys (block devices by UUID)
#   ocfs2-tools kmod           the C reference tools the tests compare against (without kmod's
#                              modprobe they fork and print everything several times)
#   qemu-system-x86            the real-kernel test suite
#   valgrind hyperfine         the speed comparison script
#   mandoc                     man page lint
#   resource-agents libxml2-utils  ocf-tester for the OCF resource agent
#   python3                    scripts/gen-copyright.py (debian/copyright from Cargo.lock)
set -euo pipefail
packages=(libblkid-dev libclang-dev ocfs2-tools kmod qemu-system-x86 valgrind hyperfine mandoc strace resource-agents libxml2-utils python3)
missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ]; then
    $sudo apt-get update -qq
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
