//go:build !race

package sched

// raceEnabled tells whether the test binary was built with -race.
const raceEnabled = false
