#!/bin/sh
# Answers without reading its input: waverunner meets a closed pipe.
echo '{"status": "[DONE]"}'
