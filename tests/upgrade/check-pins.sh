#!/bin/sh
# check-pins.sh [SCHEMA_DIR]: checks that no shipped migration has changed.
# SCHEMA_DIR/SHIPPED (default schema/SHIPPED) holds the SHA-256 of every
# migration that shipped; each must still match, the pinned ones must be in
# order of version (from 1, each higher than the one before: 0004 and 0005
# were never used, see schema/README.md), and no two migrations may share a
# number.
# Prints one line per problem and exits 1 if there is any. tests/t-upgrade.sh
# runs it; so can anyone about to commit a change to schema/.
set -u
dir=${1:-schema}
problems=$(
	last=0
	grep -v '^#' "$dir/SHIPPED" | while read -r sum name; do
		[ -n "$sum" ] || continue
		if [ ! -f "$dir/$name" ]; then
			echo "schema/$name shipped but is gone: migrations are append-only; add schema/NNNN-...sql"
		elif [ "$(sha256sum <"$dir/$name" | cut -d' ' -f1)" != "$sum" ]; then
			echo "schema/$name changed after it shipped: migrations are append-only;" \
				"add schema/NNNN-...sql (see schema/README.md)"
		fi
		v=$(echo "$name" | sed -n 's/^0*\([0-9][0-9]*\)-.*\.sql$/\1/p')
		if [ -z "$v" ] || { [ "$last" -eq 0 ] && [ "$v" -ne 1 ]; } || [ "$v" -le "$last" ]; then
			echo "schema/SHIPPED: $name is out of order (after version $last); pin migrations in order"
		else
			last=$v
		fi
	done
	ls "$dir" | sed -n 's/^\([0-9][0-9]*\)-.*\.sql$/\1/p' | sort | uniq -d | while read -r n; do
		echo "schema: more than one migration numbered $n: $(cd "$dir" && echo "$n"-*.sql)"
	done
)
[ -z "$problems" ] && exit 0
printf '%s\n' "$problems"
exit 1
