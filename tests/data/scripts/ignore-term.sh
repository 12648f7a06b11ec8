#!/bin/sh
# Hangs and ignores SIGTERM (and so does the sleep it runs): only SIGKILL stops it.
trap '' TERM
echo $$ > ignore-term.pid
echo "ignore-term.sh: ignoring SIGTERM" >&2
while :; do sleep 1; done
