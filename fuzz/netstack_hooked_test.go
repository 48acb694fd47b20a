//go:build sockfuzz_hooked

package fuzz

import (
	"path/filepath"
	"testing"
)

// TestNetstackTraceHashes pins what the netstack fuzz targets execute, as TestTraceHashes does
// for the others: the same inputs give the same traces in every process and on every machine
// (regenerate testdata/tracehash-netstack.golden with -update, on the hooked build).
func TestNetstackTraceHashes(t *testing.T) {
	checkTraceHashes(t, filepath.Join("testdata", "tracehash-netstack.golden"), "netstack")
}

// TestNetstackSeedsRunClean runs the netstack targets' seeds once each, faults off: all clean.
func TestNetstackSeedsRunClean(t *testing.T) {
	for _, tg := range TargetsOn("netstack") {
		if why := NewHarness(tg).Unavailable(); why != "" {
			t.Fatal(why)
		}
		if err := CheckSeeds(tg); err != nil {
			t.Error(err)
		}
	}
}
