package hunt

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/sockfuzz/sockfuzz/corpus"
	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro"
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

// TestFaultsOwn: a witness's failure is its fault's own (clean with the faults off); a program
// whose run with the faults off reports the oracle is not. The second case is made by asking
// FaultsOwn about the fault on (opt keeps it), which the check must then report as not own.
func TestFaultsOwn(t *testing.T) {
	c, err := corpus.Witness("abort-lost-sofree")
	if err != nil {
		t.Fatal(err)
	}
	off := repro.Options{Mode: repro.Controlled, StepBudget: fuzz.StepBudget}
	p := *c.Program
	p.Header.Faults = nil
	own, err := FaultsOwn(&p, off, c.Oracle)
	if err != nil || !own {
		t.Fatalf("faults off: own %v, %v; want the fault's own", own, err)
	}
	q := *c.Program // its faults named in the header: the "faults off" run keeps them
	own, err = FaultsOwn(&q, off, c.Oracle)
	if err != nil || own {
		t.Fatalf("fault still on: own %v, %v; want not the fault's own", own, err)
	}
}
