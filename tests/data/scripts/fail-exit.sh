#!/bin/sh
echo "fail-exit.sh: starting" >&2
echo "fail-exit.sh: the disk is on fire" >&2
exit 3
