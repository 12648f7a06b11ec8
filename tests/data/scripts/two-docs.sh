#!/bin/sh
echo '{"status": "[SAVED]"}'
echo '{"status": "[SAVED]"}'
