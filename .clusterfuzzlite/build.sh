#!/bin/bash -eu
# ClusterFuzzLite build of sockfuzz: the same as OSS-Fuzz's, kept in one place.
exec "$SRC/sockfuzz/tools/oss-fuzz/build.sh"
