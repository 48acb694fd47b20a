package sched

import (
	"slices"
	"testing"
)

// featureProgram runs a writer and a reader of one word, each taking a lock around its
// access, under c, adding the features it reaches to f (nil: none).
func featureProgram(t *testing.T, c Chooser, f *Features) *Result {
	t.Helper()
	e := New(Config{Mode: Controlled, Chooser: c, Features: f})
	m := e.NewMutex("so7.lock")
	w := e.NewWord("so7.state", nil)
	e.Go("p0", func(th *Thread) {
		m.Lock(th)
		w.Store(th, "write", 1)
		m.Unlock(th)
	})
	e.Go("p1", func(th *Thread) {
		th.Yield("start")
		m.Lock(th)
		w.Load(th, "read")
		m.Unlock(th)
	})
	r := e.Run()
	if r.Status != Done {
		t.Fatalf("status %v", r.Status)
	}
	return r
}

func featureList(f *Features) []int {
	var out []int
	f.Each(func(i int) { out = append(out, i) })
	return out
}

// runFeatures is featureProgram with a fresh table, which it returns.
func runFeatures(t *testing.T, c Chooser) *Features {
	var f Features
	featureProgram(t, c, &f)
	return &f
}

// TestFeaturesSeeInterleavings checks that two schedules of one program that meet differently
// (the reader after the writer: a lock handoff and a reads-from; the reader first: neither)
// reach different features, and that one schedule always reaches the same ones.
func TestFeaturesSeeInterleavings(t *testing.T) {
	writerFirst := runFeatures(t, Replay([]ID{0, 0, 0, 0, 0, 0}))
	readerFirst := runFeatures(t, Replay([]ID{1, 1, 1, 1, 1, 1}))
	if writerFirst.Len() == 0 {
		t.Fatal("the writer-first schedule reached no feature")
	}
	a, b := featureList(writerFirst), featureList(readerFirst)
	if slices.Equal(a, b) {
		t.Fatalf("both schedules reached the same features %v", a)
	}
	for i := 0; i < 3; i++ {
		if again := featureList(runFeatures(t, Replay([]ID{0, 0, 0, 0, 0, 0}))); !slices.Equal(again, a) {
			t.Fatalf("run %d of one schedule reached %v, the first %v", i, again, a)
		}
	}
	// One table shared by both executions holds their union, as Union makes it.
	var shared, u Features
	featureProgram(t, Replay([]ID{0, 0, 0, 0, 0, 0}), &shared)
	featureProgram(t, Replay([]ID{1, 1, 1, 1, 1, 1}), &shared)
	u.Union(writerFirst)
	u.Union(readerFirst)
	if !slices.Equal(featureList(&shared), featureList(&u)) {
		t.Fatalf("a shared table holds %v, the union %v", featureList(&shared), featureList(&u))
	}
	for _, i := range append(a, b...) {
		if !u.Has(i) {
			t.Fatalf("union lacks feature %d", i)
		}
	}
	if u.Len() < max(len(a), len(b)) || u.Len() > len(a)+len(b) {
		t.Fatalf("union of %d and %d features has %d", len(a), len(b), u.Len())
	}
}

// TestFeaturesIgnoreNumbering checks that a role and a class are names without their digits:
// the same program with its threads and objects numbered otherwise reaches the same features.
func TestFeaturesIgnoreNumbering(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		same bool
	}{
		{"p0", "p12", true},
		{"tcp-processor#0", "tcp-processor#1", true},
		{"so3.rcv", "so12.rcv", true},
		{"so3.rcv", "so3.snd", false},
		{"p0", "wire", false},
	} {
		if got := classHash(tt.a) == classHash(tt.b); got != tt.same {
			t.Errorf("classHash(%q) == classHash(%q): %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
}
