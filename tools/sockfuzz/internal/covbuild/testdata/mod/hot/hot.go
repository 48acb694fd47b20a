// Package hot keeps its coverage instrumentation.
package hot

import (
	"strconv"

	"example.com/covmod/cold"
)

// Branchy has branches, so an instrumented compile gives it counters and comparison hooks.
//
//go:noinline
func Branchy(x int) int {
	if x > 5 {
		if b, _ := strconv.ParseBool(strconv.Itoa(x)); b {
			return 1
		}
		return cold.Branchy(x)
	}
	return x + 7
}
