// Package hot keeps its coverage instrumentation.
package hot

import "example.com/covmod/cold"

// Branchy has branches, so an instrumented compile gives it counters and comparison hooks.
//
//go:noinline
func Branchy(x int) int {
	if x > 5 {
		return cold.Branchy(x) + 1
	}
	return x + 7
}
