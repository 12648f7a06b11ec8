#!/bin/sh
# Copies stdin to stdout as it reads it: with a big input, output flows while
# input is still being written.
exec cat
