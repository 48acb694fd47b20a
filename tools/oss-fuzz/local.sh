#!/usr/bin/env bash
# Does on this machine what OSS-Fuzz and ClusterFuzzLite do with tools/oss-fuzz/build.sh: builds
# every fuzz target as a libFuzzer binary (go-118-fuzz-build, clang), then runs each for a few
# seconds on its seed corpus with the faults off. It fails if a build fails, if a target
# crashes, leaks or times out, or if a target does not run its seeds.
#
#   tools/oss-fuzz/local.sh             # every target, SOCKFUZZ_LIBFUZZER_SECONDS (20) each
#   tools/oss-fuzz/local.sh FuzzSoclose # some targets
#
# It installs clang, libfuzzer-14-dev, libclang-rt-14-dev and unzip with apt-get when they are
# missing (as root, as in CI). Set SOCKFUZZ_LIBFUZZER_KEEP=DIR to keep the binaries, corpora
# and crash inputs in DIR; otherwise everything lives in a temporary directory.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${SOCKFUZZ_LIBFUZZER_SECONDS:-20}
export PATH="/usr/local/go/bin:$PATH"

# The toolchain: clang and libFuzzer's runtime from Debian's LLVM 14.
pkgs="clang libfuzzer-14-dev libclang-rt-14-dev unzip"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "local.sh: missing packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
    exit 1
  fi
  echo "== apt-get install$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

# A scratch copy of the tree, as the Docker image has: go-118-fuzz-build rewrites ./fuzz.
if [ -n "${SOCKFUZZ_LIBFUZZER_KEEP:-}" ]; then
  work=$SOCKFUZZ_LIBFUZZER_KEEP
  rm -rf "$work/src" "$work/out" "$work/run"
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/src/sockfuzz" "$work/out" "$work/bin" "$work/run"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # Tracked and new files, as they are in the working tree (a deleted file is skipped).
  (cd "$root" && git ls-files -z -c -o --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -xf - -C "$work/src/sockfuzz"
else
  cp -a "$root/." "$work/src/sockfuzz"
fi

# What the base-builder-go image provides, for clang's libFuzzer without sanitizers.
export SRC="$work/src" OUT="$work/out" WORK="$work"
export CC=clang CXX=clang++ CFLAGS="" CXXFLAGS="" LIB_FUZZING_ENGINE="-fsanitize=fuzzer" SANITIZER=none
cat >"$work/bin/compile_native_go_fuzzer" <<'SHIM'
#!/bin/bash -eu
# compile_native_go_fuzzer PACKAGE FUNCTION FUZZER, as OSS-Fuzz's base-builder-go runs it.
path=$1 function=$2 fuzzer=$3
dir=$(go list -tags gofuzz -f '{{.Dir}}' "$path")
if [ "$(grep -r --include='*.go' "func $function" "$dir" | grep -c 'testing.F')" -ne 1 ]; then
  echo "Could not find the function: func ${function}(f *testing.F)" >&2
  exit 1
fi
go-118-fuzz-build -tags gofuzz -o "$fuzzer.a" -func "$function" "$dir"
$CXX $CXXFLAGS $LIB_FUZZING_ENGINE "$fuzzer.a" -o "$OUT/$fuzzer"
rm -f "$fuzzer.a"
SHIM
chmod +x "$work/bin/compile_native_go_fuzzer"
export PATH="$work/bin:$PATH"

start=$(date +%s)
echo "== build.sh (in $work/src/sockfuzz)"
"$SRC/sockfuzz/tools/oss-fuzz/build.sh"
echo "== built in $(($(date +%s) - start)) s"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(f \*testing\.F) {$/\1/p' "$root/fuzz/fuzz_test.go")
  # Not the differential target: what it reports are differences between gVisor and Linux to
  # triage (its deviation rules are young, and each new shape of a known finding fails it),
  # not crashes of the harness; go test runs its seeds and regression files, and it is fuzzed
  # by hand (README). Name it to run it here.
  mapfile -t targets < <(printf '%s\n' "${targets[@]}" | grep -vx FuzzNetstackLinux)
fi

# Each target on its seeds for $seconds seconds, faults off, controlled mode. The titles of the
# stored findings (corpus/findings: bugs of gVisor, written up under docs/findings) are known,
# so that a smoke run does not fail on a bug already reported.
unset SOCKFUZZ_FAULTS SOCKFUZZ_MODE
known="$work/known-titles"
cat "$root"/corpus/findings/*.prog 2>/dev/null | sed -n 's/^# title: //p' | sort -u > "$known"
export SOCKFUZZ_KNOWN="$known"
status=0
for t in "${targets[@]}"; do
  bin="$OUT/$t"
  if [ ! -x "$bin" ]; then
    echo "local.sh: $t: no binary $bin" >&2
    status=1
    continue
  fi
  corpus="$work/run/$t"
  mkdir -p "$corpus"
  unzip -q -o "$OUT/${t}_seed_corpus.zip" -d "$corpus"
  nseeds=$(find "$corpus" -type f | wc -l)
  log="$work/run/$t.log"
  # The flags of the [libfuzzer] section of the binary's options file, as ClusterFuzz passes them.
  opts=()
  if [ -f "$OUT/$t.options" ]; then
    mapfile -t opts < <(sed -n '/^\[libfuzzer\]/,/^\[/s/^\([A-Za-z0-9_]*\) *= *\(.*[^ ]\) *$/-\1=\2/p' "$OUT/$t.options")
  fi
  echo "== $t: $nseeds seeds, ${seconds} s${opts[*]:+, }${opts[*]}"
  if ! "$bin" "${opts[@]}" -max_total_time="$seconds" -timeout=30 -print_final_stats=1 \
      -artifact_prefix="$work/run/$t-" "$corpus" >"$log" 2>&1; then
    echo "local.sh: $t failed; the end of its log:" >&2
    tail -n 60 "$log" >&2
    ls "$work/run/$t-"* 2>/dev/null | sed 's/^/  crash input: /' >&2 || true
    status=1
    continue
  fi
  if ! grep -q "INITED" "$log"; then
    echo "local.sh: $t did not run its seed corpus:" >&2
    tail -n 20 "$log" >&2
    status=1
    continue
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
  echo "   $t: $execs execs, $rate execs/s, $cov"
done
echo "== local.sh: $(($(date +%s) - start)) s in all"
if [ $status -ne 0 ]; then
  echo "== local.sh FAILED" >&2
fi
exit $status
