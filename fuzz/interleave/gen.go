//go:build ignore

// gen writes table.go: Hit's switch of sched.FeatureBits branches.
package main

import (
	"log"
	"os"

	"github.com/sockfuzz/sockfuzz/fuzz/interleave"
)

func main() {
	if err := os.WriteFile("table.go", interleave.Table(), 0o644); err != nil {
		log.Fatal(err)
	}
}
