//go:build !race

package launch

// Race tells whether this binary was built with -race: the launcher passes it on.
const Race = false
