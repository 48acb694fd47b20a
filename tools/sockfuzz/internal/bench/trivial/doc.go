// Package trivial holds FuzzTrivial, the engine's ceiling for sockfuzz bench: a go test -fuzz
// target that does almost nothing (three goroutines started and joined per input), so that its
// rate is what the fuzzing engine itself costs on this machine. It lives outside ./fuzz so that
// OSS-Fuzz does not build it, and in its own package so that its test binary carries no
// coverage counters of the stack (go test -fuzz scans every counter after each input).
package trivial
