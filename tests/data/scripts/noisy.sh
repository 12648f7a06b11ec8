#!/bin/sh
# Writes about 200 kB on stderr, then answers.
i=0
while [ $i -lt 2000 ]; do
	echo "noisy.sh: line $i of chatter to fill stderr well beyond what is kept......................." >&2
	i=$((i + 1))
done
echo "noisy.sh: the last line" >&2
echo '{"status": "[DONE]"}'
