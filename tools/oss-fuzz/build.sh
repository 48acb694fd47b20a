#!/bin/bash -eu
# OSS-Fuzz and ClusterFuzzLite build of sockfuzz: every fuzz target of fuzz/fuzz_test.go as a
# libFuzzer binary in $OUT, each with its seed corpus ($OUT/FuzzX_seed_corpus.zip).
#
# It runs in the base-builder-go image (which provides $SRC, $OUT, $CXX, $CXXFLAGS,
# $LIB_FUZZING_ENGINE and compile_native_go_fuzzer), or under tools/oss-fuzz/local.sh, which
# provides the same on a machine without Docker. The project is at $SRC/sockfuzz; the builder
# rewrites files of ./fuzz in place while it works, so the tree must be a scratch copy.

cd "$SRC/sockfuzz"

# The fuzz targets, as compile_native_go_fuzzer finds them: func FuzzX(f *testing.F).
targets=$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(f \*testing\.F) {$/\1/p' fuzz/fuzz_test.go)
if [ -z "$targets" ]; then
  echo "build.sh: no fuzz target found in fuzz/fuzz_test.go" >&2
  exit 1
fi

# The go-118-fuzz-build that go.mod pins (tool directive), ahead of any other on PATH: the
# builder and the testing package it links in must agree.
bindir=$(mktemp -d)
go build -o "$bindir/go-118-fuzz-build" github.com/AdamKorcz/go-118-fuzz-build
export PATH="$bindir:$PATH"

# Seed corpora: the seed programs each target's profile can express, and the inputs kept
# under fuzz/testdata/fuzz, as libFuzzer inputs.
go run ./tools/oss-fuzz/seedzip -o "$OUT" $targets

# The execution substrate (stack/sched) is left uninstrumented in the libFuzzer builds. Its
# branches follow the schedule, not the program: their counters only add noise to the
# coverage, and tracing its comparisons into libFuzzer cost half the time (FuzzSockets: 130
# inputs/s instrumented, 265 without it). So is the BSD model's sanitizer, the oracle that sees
# every event: the model's own counters say what its branches would, and its comparisons were
# half of the rest (about 2,000 inputs/s instrumented, 3,800 without). compile_native_go_fuzzer has no way to say so, so
# the libFuzzer builds call go-118-fuzz-build as it would, with -preserve; the coverage builds
# (SANITIZER=coverage: go test -coverpkg) stay with compile_native_go_fuzzer. Only this
# module's packages are instrumented (-include): the standard library's and the dependencies'
# counters (fmt, strconv, sync, goleak, go-fuzz-headers) say nothing about the program and
# cost libFuzzer per input for every counter hit (FuzzSockets, SOCKFUZZ_SCHEDULES=1, one
# worker, 10 s, 3 runs interleaved: medians 1,637 -> 2,071 inputs/s).
#
# The FuzzNetstack targets run gVisor's netstack, whose controlled mode exists only in the
# hooked build (docs/netstack-design.md §2.4): sockfuzz netstack-env generates it and prints its
# environment (GOWORK) and tag, which those targets' builds alone get, so that the other
# targets build exactly as they would without them. gVisor's TCP/IP is instrumented too (its
# coverage is the point of those targets), its hook package is not (it runs the schedule, as
# stack/sched does). The coverage builds' compile_native_go_fuzzer passes -tags gofuzz to
# every go command, which would override a GOFLAGS=-tags: a go shim ahead on PATH adds the
# hooked tag to it instead.
hooked_env=""
if grep -q '^FuzzNetstack' <<<"$targets"; then
  hooked_env=$(go run ./tools/sockfuzz netstack-env)
  SOCKFUZZ_REAL_GO=$(command -v go)
  export SOCKFUZZ_REAL_GO
  mkdir -p "$bindir/hooked"
  cat >"$bindir/hooked/go" <<'SHIM'
#!/bin/bash
# go, with the hooked build's tag added to a -tags gofuzz (tools/oss-fuzz/build.sh).
args=() prev=""
for a in "$@"; do
  if [ "$prev" = -tags ] && [ "$a" = gofuzz ]; then
    a="gofuzz,$SOCKFUZZ_HOOKED_TAGS"
  elif [ "$a" = -tags=gofuzz ]; then
    a="-tags=gofuzz,$SOCKFUZZ_HOOKED_TAGS"
  fi
  args+=("$a")
  prev=$a
done
exec "$SOCKFUZZ_REAL_GO" "${args[@]}"
SHIM
  chmod +x "$bindir/hooked/go"
fi

for t in $targets; do
  if [[ "$t" == FuzzNetstack* ]]; then
    (
      eval "$hooked_env"
      if [[ "${SANITIZER:-}" == *coverage* ]]; then
        PATH="$bindir/hooked:$PATH" compile_native_go_fuzzer ./fuzz "$t" "$t"
      else
        go-118-fuzz-build -tags "gofuzz,$SOCKFUZZ_HOOKED_TAGS" \
          -include 'github.com/sockfuzz/sockfuzz/*,gvisor.dev/gvisor/pkg/tcpip*' \
          -preserve github.com/sockfuzz/sockfuzz/stack/sched,github.com/sockfuzz/sockfuzz/stack/bsd/sanitizer,gvisor.dev/gvisor/pkg/sockfuzzhook \
          -o "$t.a" -func "$t" ./fuzz
        $CXX $CXXFLAGS $LIB_FUZZING_ENGINE "$t.a" -o "$OUT/$t"
        rm -f "$t.a"
      fi
    )
  elif [[ "${SANITIZER:-}" == *coverage* ]]; then
    compile_native_go_fuzzer ./fuzz "$t" "$t"
  else
    # The bsd targets' binaries leave gVisor out (stack/targets' sockfuzz_nonetstack): they
    # never run it, and its packages' init functions and runtime linknames have no business in
    # a binary that does not.
    go-118-fuzz-build -tags gofuzz,sockfuzz_nonetstack -include 'github.com/sockfuzz/sockfuzz/*' \
      -preserve github.com/sockfuzz/sockfuzz/stack/sched,github.com/sockfuzz/sockfuzz/stack/bsd/sanitizer -o "$t.a" -func "$t" ./fuzz
    $CXX $CXXFLAGS $LIB_FUZZING_ENGINE "$t.a" -o "$OUT/$t"
    rm -f "$t.a"
  fi
done
