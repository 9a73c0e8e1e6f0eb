#!/bin/sh
# Builds the real-kernel probe (issue #11): dist/native/vdpa-probe, and the VDUSE
# companion dist/native/vduse-dev (issue #29), static so they also run in a
# minimal busybox guest. It reads script lines with jansson, linked
# statically from Debian's libjansson-dev (libjansson.a). Without a C compiler, a
# static libc or libjansson-dev it says so in one line and succeeds (CI fails):
# the model-only lab works without the probe.
# A compile error fails the build under CI (CI set) and is a loud warning
# elsewhere, so a newer compiler's new -Werror warning cannot stop `npm run build`
# for someone who only uses the model. Run from the repository root (npm run build does).
set -u
cd "$(dirname "$0")/.." || exit 1
CC="${CC:-gcc}"
out=dist/native/vdpa-probe
# Built beside the target and renamed over it, so a test running the probe meanwhile never finds it missing.
tmp="$out.build.$$"
log="dist/native/build.$$.log"
mkdir -p dist/native
if ! command -v "$CC" >/dev/null 2>&1; then
	rm -f "$out" # a binary left from an earlier build must not pass for this one
	echo "vdpa-lab: no C compiler found ($CC): the real-kernel probe is not built; the model-only lab works without it"
	exit 0
fi
# jansson's header and static archive, where the compiler looks for them (Debian: /usr/include, /usr/lib/<triplet>).
jansson_a=$("$CC" -print-file-name=libjansson.a)
if [ ! -f "$jansson_a" ] || ! printf '#include <jansson.h>\n' | "$CC" -E -x c - >/dev/null 2>&1; then
	rm -f "$out"
	echo "vdpa-lab: libjansson-dev is not installed (apt-get install libjansson-dev: the probe links jansson statically): the real-kernel probe is not built; the model-only lab works without it" >&2
	[ -n "${CI:-}" ] && exit 1
	exit 0
fi
if "$CC" -O2 -static -Wall -Wextra -Werror -o "$tmp" native/*.c -ljansson >"$log" 2>&1; then
	rm -f "$log"
	mv -f "$tmp" "$out"
	# The VDUSE companion (native/vduse/, issue #29): the guest's VDUSE device, static like the probe.
	vduse_out=dist/native/vduse-dev
	if "$CC" -O2 -static -Wall -Wextra -Werror -o "$vduse_out.build.$$" native/vduse/*.c >"$log" 2>&1; then
		rm -f "$log"
		mv -f "$vduse_out.build.$$" "$vduse_out"
		exit 0
	fi
	rm -f "$vduse_out.build.$$" "$vduse_out"
	cat "$log" >&2
	rm -f "$log"
	[ -n "${CI:-}" ] && echo "vdpa-lab: the VDUSE companion does not compile (see above)" >&2 && exit 1
	echo "vdpa-lab: the VDUSE companion does not compile (see above) and is not built: --parent vduse on a VM needs it (CI fails on this)" >&2
	exit 0
fi
rm -f "$tmp" "$out" # a binary left from an earlier build must not pass for this one
# The same sources linked dynamically tell a missing static libc from a compile error.
check="dist/native/vdpa-probe.dynamic-check.$$"
if "$CC" -O2 -Wall -Wextra -Werror -o "$check" native/*.c -ljansson >/dev/null 2>&1; then
	rm -f "$check" "$log"
	echo "vdpa-lab: static linking failed (no static libc: install libc6-dev's libc.a): the real-kernel probe is not built; the model-only lab works without it"
	exit 0
fi
rm -f "$check"
cat "$log" >&2
rm -f "$log"
if [ -n "${CI:-}" ]; then
	echo "vdpa-lab: the real-kernel probe does not compile (see above)" >&2
	exit 1
fi
echo "vdpa-lab: the real-kernel probe does not compile (see above) and is not built; the model-only lab works without it (CI fails on this)" >&2
exit 0
