#!/bin/sh
# Exit 0 with a failure status: the original counted this as success.
echo '{"status": "error", "error": "posting has no description to save"}'
