#!/usr/bin/env bash
# Install, as root with apt-get, everything the workbench needs for $ARCH on
# a fresh Debian 12 machine.  Packages already present are left alone.
set -eu
. "$(dirname "$0")/lib.sh"

pkgs=(gcc make libc6-dev libnuma-dev bc bison flex libelf-dev libssl-dev perl python3 git cpio xz-utils
	rsync ccache busybox-static bash python3-ply python3-git qemu-system-x86 stress-ng gawk gnuplot-nox
	pkg-config libtraceevent-dev trace-cmd e2fsprogs "$BASE_PKG=$BASE_VERSION")
if [ "$ARCH" = powerpc ]; then
	pkgs+=(gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross qemu-system-ppc)
fi

missing=()
for p in "${pkgs[@]}"; do
	name=${p%%=*}
	want=${p#*=}
	have=$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$name" 2>/dev/null || true)
	case "$have" in
	ii*) [ "$want" = "$p" ] || [ "${have#ii }" = "$want" ] || missing+=("$p") ;;
	*) missing+=("$p") ;;
	esac
done
if [ ${#missing[@]} = 0 ]; then
	msg "all ${#pkgs[@]} packages for $ARCH are installed"
	exit 0
fi
[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}) and not root: run 'make deps' as root"
msg "installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
retry apt-get update -q >&2 || msg "apt-get update reported errors; trying the install anyway"
retry apt-get install -y -q --no-install-recommends --allow-downgrades "${missing[@]}" >&2 ||
	die "apt-get install failed for: ${missing[*]}"
msg "packages installed"
