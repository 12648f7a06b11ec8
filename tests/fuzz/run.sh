#!/bin/sh
# Fuzzes every target tests/fuzz/fuzz-NAME.c with libFuzzer (clang), starting
# from its seed corpus tests/fuzz/corpus-NAME/, for FUZZ_SECONDS each
# (default 60). New inputs that find crashes are written to build/fuzz/.
# Needs clang and libclang-rt-14-dev: sh tests/install-deps.sh --fuzz
# Usage: sh tests/fuzz/run.sh [NAME...]
set -eu
cd "$(dirname "$0")/../.."
command -v clang >/dev/null || { echo "fuzz: clang is missing: sh tests/install-deps.sh --fuzz" >&2; exit 1; }
seconds=${FUZZ_SECONDS:-60}
out=build/fuzz
mkdir -p "$out/obj"
flags="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -Isrc -Isync $(pkg-config --cflags sqlite3 libcurl libcjson libpq)"
libs="$(pkg-config --libs sqlite3 libcurl libcjson libpq) -lm"
sh schema/embed.sh schema/[0-9]*.sql >"$out/schema.c"
objs=""
for f in src/*.c sync/*.c "$out/schema.c"; do
	[ -f "$f" ] || continue
	[ "$f" = src/main.c ] && continue
	o="$out/obj/$(echo "$f" | tr '/' '_').o"
	clang $flags -c "$f" -o "$o"
	objs="$objs $o"
done
names=${*:-$(ls tests/fuzz/fuzz-*.c | sed 's|.*/fuzz-||; s|\.c$||')}
for name in $names; do
	bin="$out/fuzz-$name"
	clang $flags -fsanitize=fuzzer "tests/fuzz/fuzz-$name.c" $objs $libs -o "$bin"
	mkdir -p "$out/corpus-$name" "$out/crashes-$name"
	echo "== fuzz-$name for ${seconds}s"
	"$bin" -max_total_time="$seconds" -artifact_prefix="$out/crashes-$name/" -print_final_stats=1 \
		"$out/corpus-$name" "tests/fuzz/corpus-$name" 2>&1 | grep -E '^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)' || true
	if ls "$out/crashes-$name"/* >/dev/null 2>&1; then
		echo "fuzz-$name: FOUND CRASHES in $out/crashes-$name/" >&2
		exit 1
	fi
done
echo "fuzz: no crashes"
