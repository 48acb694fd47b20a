// Package cold is compiled without coverage instrumentation by the test.
package cold

// Branchy has branches, so an instrumented compile gives it counters and comparison hooks.
//
//go:noinline
func Branchy(x int) int {
	if x > 3 {
		return x * 2
	}
	return x - 1
}
