#!/bin/sh
# Hangs; SIGTERM stops it.
echo $$ > sleep.pid
sleep 300
