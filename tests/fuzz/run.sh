#!/bin/sh
# Builds each libFuzzer target tests/fuzz/fuzz-NAME.c with clang (ASan and
# UBSan) and runs it on its corpus tests/fuzz/corpus-NAME/ for a while.
# A target names the sources it needs in a "fuzz-sources:" comment line.
# Environment: FUZZ_SECONDS (per target, default 30), FUZZ_TARGETS (names),
# FUZZ_CC (default clang). New inputs go to build/fuzz/corpus-NAME/, so the
# seed corpora in the repository only change when someone copies one in.
set -eu
cd "$(dirname "$0")/../.."
CC=${FUZZ_CC:-clang}
SECONDS_EACH=${FUZZ_SECONDS:-30}
command -v "$CC" >/dev/null 2>&1 || { echo "fuzz: needs clang with libFuzzer (apt-get install clang)" >&2; exit 1; }
mkdir -p build/fuzz
flags="-g -O1 -std=c11 -D_GNU_SOURCE -Isrc -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
cflags=$(pkg-config --cflags libcjson 2>/dev/null || true)
libs=$(pkg-config --libs libcjson 2>/dev/null || echo -lcjson)
status=0
for src in tests/fuzz/fuzz-*.c; do
	name=$(basename "$src" .c)
	name=${name#fuzz-}
	if [ -n "${FUZZ_TARGETS:-}" ]; then
		case " $FUZZ_TARGETS " in *" $name "*) ;; *) continue ;; esac
	fi
	sources=$(sed -n 's/.*fuzz-sources:\(.*\)/\1/p' "$src" | sed 's/\*\///')
	bin=build/fuzz/fuzz-$name
	echo "fuzz: building $name"
	# shellcheck disable=SC2086
	$CC $flags $cflags -o "$bin" "$src" $sources $libs -lm
	mkdir -p "build/fuzz/corpus-$name"
	seeds=tests/fuzz/corpus-$name
	[ -d "$seeds" ] || seeds=
	echo "fuzz: running $name for ${SECONDS_EACH}s"
	# shellcheck disable=SC2086
	if ! "$bin" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 \
		-artifact_prefix="build/fuzz/$name-" "build/fuzz/corpus-$name" $seeds \
		>"build/fuzz/$name.log" 2>&1; then
		echo "fuzz: $name FAILED; see build/fuzz/$name.log and build/fuzz/$name-*" >&2
		tail -n 30 "build/fuzz/$name.log" >&2
		status=1
	else
		tail -n 1 "build/fuzz/$name.log"
	fi
done
exit $status
