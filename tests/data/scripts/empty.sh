#!/bin/sh
echo "empty.sh: nothing to say" >&2
