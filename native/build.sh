#!/bin/sh
# Builds the real-kernel probe (issue #11): dist/native/vdpa-probe, static so it
# also runs in a minimal busybox guest. Without a C compiler or a static libc it
# says so in one line and succeeds: the model-only lab works without the probe.
# Run from the repository root (npm run build does).
set -u
cd "$(dirname "$0")/.." || exit 1
CC="${CC:-gcc}"
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "vdpa-lab: no C compiler found ($CC): the real-kernel probe is not built; the model-only lab works without it"
	exit 0
fi
mkdir -p dist/native
log="dist/native/build.log"
if "$CC" -O2 -static -Wall -Wextra -Werror -o dist/native/vdpa-probe native/*.c >"$log" 2>&1; then
	rm -f "$log"
	exit 0
fi
# Tell a missing static libc (link step) from a real compile error.
if "$CC" -O2 -Wall -Wextra -Werror -c -o /dev/null -x c /dev/null >/dev/null 2>&1 &&
	"$CC" -O2 -Wall -Wextra -Werror -o dist/native/vdpa-probe.dynamic-check native/*.c >/dev/null 2>&1; then
	rm -f dist/native/vdpa-probe.dynamic-check
	echo "vdpa-lab: static linking failed (no static libc, e.g. libc6-dev's libc.a): the real-kernel probe is not built; the model-only lab works without it"
	exit 0
fi
cat "$log" >&2
echo "vdpa-lab: the real-kernel probe does not compile (see above)" >&2
exit 1
