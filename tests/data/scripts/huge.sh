#!/bin/sh
# Prints without end.
exec yes '{"status": "[MORE]", "padding": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}'
