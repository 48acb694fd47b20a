package repro

// The tests run programs on the built-in targets.
import _ "github.com/sockfuzz/sockfuzz/stack/targets"
