#!/bin/sh
echo "signal.sh: about to die" >&2
kill -USR1 $$
sleep 5
