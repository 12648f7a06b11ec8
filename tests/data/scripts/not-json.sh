#!/bin/sh
echo 'Saved the summary. [SAVED]'
