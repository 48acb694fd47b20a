//go:build gofuzz_libfuzzer

package fuzz

// libFuzzerBuild is true in a libFuzzer build (go-118-fuzz-build sets the gofuzz_libfuzzer
// tag): the process does nothing but run the target, one input at a time.
const libFuzzerBuild = true
