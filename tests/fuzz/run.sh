#!/bin/sh
# Fuzzes every target tests/fuzz/fuzz-NAME.c with libFuzzer (clang, with
# AddressSanitizer and UndefinedBehaviorSanitizer), starting from its seed
# corpus tests/fuzz/corpus-NAME/, for FUZZ_SECONDS each (default 60). New
# inputs go to build/fuzz/corpus-NAME/ (the seed corpora in the repository only
# change when someone copies one in); crashes to build/fuzz/NAME-*.
# Environment: FUZZ_SECONDS, FUZZ_TARGETS (names, default all), FUZZ_CC (clang).
# Needs clang and libclang-rt-14-dev: sh tests/install-deps.sh --fuzz
set -eu
cd "$(dirname "$0")/../.."
CC=${FUZZ_CC:-clang}
seconds=${FUZZ_SECONDS:-60}
command -v "$CC" >/dev/null 2>&1 || { echo "fuzz: $CC is missing: sh tests/install-deps.sh --fuzz" >&2; exit 1; }
out=build/fuzz
mkdir -p "$out/obj"
pkgs="sqlite3 libcurl libcjson libpq"
flags="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -Isrc -Isync $(pkg-config --cflags $pkgs)"
libs="$(pkg-config --libs $pkgs) -lm"
sh schema/embed.sh schema/[0-9]*.sql >"$out/schema.c"
make -s build/rel/pg-claims.c # sync setup's SQL, generated as make builds it
# Every target links the project's objects, as the corpus drivers of make check do.
objs=""
for f in src/*.c sync/*.c "$out/schema.c" build/rel/pg-claims.c; do
	[ -f "$f" ] || continue
	[ "$f" = src/main.c ] && continue
	o="$out/obj/$(echo "$f" | tr '/' '_').o"
	$CC $flags -c "$f" -o "$o"
	objs="$objs $o"
done
status=0
for src in tests/fuzz/fuzz-*.c; do
	name=$(basename "$src" .c)
	name=${name#fuzz-}
	if [ -n "${FUZZ_TARGETS:-}" ]; then
		case " $FUZZ_TARGETS " in *" $name "*) ;; *) continue ;; esac
	fi
	bin="$out/fuzz-$name"
	# shellcheck disable=SC2086
	$CC $flags -fsanitize=fuzzer "$src" $objs $libs -o "$bin"
	mkdir -p "$out/corpus-$name"
	echo "fuzz: $name for ${seconds}s"
	if ! "$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -artifact_prefix="$out/$name-" \
		"$out/corpus-$name" "tests/fuzz/corpus-$name" >"$out/$name.log" 2>&1; then
		echo "fuzz: $name FAILED; see $out/$name.log and $out/$name-*" >&2
		tail -n 30 "$out/$name.log" >&2
		status=1
	else
		grep -E '^Done [0-9]+ runs' "$out/$name.log" || tail -n 1 "$out/$name.log"
	fi
done
[ "$status" -eq 0 ] && echo "fuzz: no crashes"
exit $status
