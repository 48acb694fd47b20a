//go:build !gofuzz_libfuzzer

package fuzz

// libFuzzerBuild is false outside a libFuzzer build (see engine_libfuzzer.go).
const libFuzzerBuild = false
