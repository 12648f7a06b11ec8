#!/bin/sh
# Leaves a process running behind it, holding stdout open.
sleep 300 &
echo $! > leftover.pid
echo '{"status": "[DONE]"}'
