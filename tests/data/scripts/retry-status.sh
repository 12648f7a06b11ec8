#!/bin/sh
echo '{"status": "[FAILED]", "message": "the job board is busy", "retryable": true}'
