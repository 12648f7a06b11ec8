#!/bin/sh
# Prints its whole input back inside a document, and says so on stderr.
input=$(cat)
echo "echo.sh: read ${#input} bytes" >&2
printf '{"status": "[DONE]", "input": %s}\n' "$input"
