#!/bin/sh
# A document that is not UTF-8.
printf '{"status": "caf\351"}\n'
