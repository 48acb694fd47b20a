// Package covloop holds what sockfuzz bench runs in a test binary built with go test -c -fuzz,
// the coverage instrumentation a go test -fuzz worker carries included: BenchmarkHarnessSeeds,
// the controlled run of FuzzSockets' seeds with every oracle, as the in-process measurement
// makes it; and FuzzSeedMix, a fuzz target whose every input runs one of those seeds. Beside
// the in-process figure, the first gives the instrumentation's cost; beside each other, the
// two give the engine's own cost per input on the same programs.
package covloop
