#!/bin/sh
# Writes the environment it was given, and where it runs, into its directory.
env > env.out
pwd > pwd.out
echo '{"status": "[OK]"}'
