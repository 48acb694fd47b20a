package hunt

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/sockfuzz/sockfuzz/fuzz"
)

// TestMutateDeterministic: a trial's mutations depend on its seed alone, and every mutant
// decodes (the codec takes any bytes).
func TestMutateDeterministic(t *testing.T) {
	seeds := fuzz.NewHarness(fuzz.Sockets).Seeds()
	a, b := rand.New(rand.NewPCG(7, 0)), rand.New(rand.NewPCG(7, 0))
	changed := 0
	for range 200 {
		x, y := Mutate(a, seeds), Mutate(b, seeds)
		if !bytes.Equal(x, y) {
			t.Fatal("the same seed gave different mutants")
		}
		if fuzz.Sockets.Profile.Decode(x) == nil {
			t.Fatal("a mutant did not decode")
		}
		isSeed := false
		for _, s := range seeds {
			isSeed = isSeed || bytes.Equal(s, x)
		}
		if !isSeed {
			changed++
		}
	}
	if changed < 150 {
		t.Errorf("only %d of 200 mutants differ from every seed", changed)
	}
}
