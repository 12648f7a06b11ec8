#!/bin/sh
# The original's script style: a JSON error on stdout and exit 1.
echo '{"status": "error", "error": "could not connect to the job board"}'
exit 1
