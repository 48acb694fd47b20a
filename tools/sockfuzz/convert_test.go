package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/corpus"
	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/repro/corpusfile"
	"github.com/sockfuzz/sockfuzz/stack"
)

// convertRun runs `sockfuzz convert args...` and returns the exit code, stdout and stderr.
func convertRun(args ...string) (int, []byte, string) {
	var out, errb bytes.Buffer
	code := run(append([]string{"convert"}, args...), &out, &errb)
	return code, out.Bytes(), errb.String()
}

// withoutComments is p with no comments, for comparisons across forms.
func withoutComments(p *repro.Program) *repro.Program {
	q := *p
	q.Comments = nil
	return &q
}

// TestConvertRoundTrip takes every seed that fits a target's byte form through text -> gofuzz
// -> libfuzzer -> gofuzz -> text and checks each step: the same bytes as the encoder's, the
// same program at the end.
func TestConvertRoundTrip(t *testing.T) {
	dir := t.TempDir()
	names := []string{reproTextTarget}
	for _, tg := range convertTargets {
		names = append(names, tg.Name)
	}
	for _, tg := range names {
		t.Run(tg, func(t *testing.T) {
			n := 0
			for _, s := range corpus.Seeds() {
				p, err := s.Program()
				if err != nil {
					t.Fatal(err)
				}
				want := []byte(s.Text)
				if tg != reproTextTarget {
					if want, err = convertTargets[slicesIndexName(tg)].Encode(p); err != nil {
						continue // not canonical for this target: the error test covers it
					}
				}
				n++
				src := filepath.Join(dir, tg+"-"+s.Name)
				if err := os.WriteFile(src, s.Text, 0o644); err != nil {
					t.Fatal(err)
				}
				steps := []struct{ from, to, in, out string }{
					{"text", "gofuzz", src, src + ".gofuzz"},
					{"auto", "libfuzzer", src + ".gofuzz", src + ".lf"},
					{"libfuzzer", "gofuzz", src + ".lf", src + ".gofuzz2"},
					{"auto", "text", src + ".gofuzz2", src + ".out.prog"},
				}
				for _, st := range steps {
					if code, _, errs := convertRun("-from", st.from, "-to", st.to, "-fuzz-target", tg, "-o", st.out, st.in); code != 0 {
						t.Fatalf("%s: %s -> %s: exit %d: %s", s.Name, st.from, st.to, code, errs)
					}
				}
				gf, _ := os.ReadFile(src + ".gofuzz")
				if !bytes.Equal(gf, corpusfile.MarshalGo(want)) {
					t.Errorf("%s: gofuzz file %q, want the encoder's bytes %q", s.Name, gf, want)
				}
				lf, _ := os.ReadFile(src + ".lf")
				if !bytes.Equal(lf, corpusfile.MarshalLibFuzzer(want)) {
					t.Errorf("%s: libfuzzer input %x, want the encoder's bytes %x", s.Name, lf, want)
				}
				gf2, _ := os.ReadFile(src + ".gofuzz2")
				if !bytes.Equal(gf2, gf) {
					t.Errorf("%s: gofuzz -> libfuzzer -> gofuzz changed the file", s.Name)
				}
				text, _ := os.ReadFile(src + ".out.prog")
				q, err := repro.Parse(src+".out.prog", text)
				if err != nil {
					t.Fatalf("%s: the converted text does not parse: %v", s.Name, err)
				}
				if tg != reproTextTarget {
					// The bytes run on the fuzz target's stack, and the text says so.
					p.Header.Target = convertTargets[slicesIndexName(tg)].Decode(nil).Header.Target
				}
				if !withoutComments(q).Equal(withoutComments(p)) {
					t.Errorf("%s: round trip gave\n%s\nwant\n%s", s.Name, q, p)
				}
			}
			if n == 0 {
				t.Fatalf("no seed is canonical for %s: the test checks nothing", tg)
			}
		})
	}
}

func slicesIndexName(name string) int {
	for i, t := range convertTargets {
		if t.Name == name {
			return i
		}
	}
	return -1
}

// TestConvertProfiles checks that the bytes decode with the target's profile: the same input
// is a different program for two targets.
func TestConvertProfiles(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in")
	// Two records: process 0 calls socket (code 0) and send (code 5), which the accept-queue
	// profile leaves out: its selector 5 names another of its calls.
	data := []byte{repro.Version, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0}
	if err := os.WriteFile(in, corpusfile.MarshalGo(data), 0o644); err != nil {
		t.Fatal(err)
	}
	programs := map[string]string{}
	for _, tg := range convertTargets {
		code, out, errs := convertRun("-to", "text", "-fuzz-target", tg.Name, in)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tg.Name, code, errs)
		}
		p, err := repro.Parse("out", out)
		if err != nil {
			t.Fatalf("%s: %v", tg.Name, err)
		}
		if want := tg.Decode(data); !withoutComments(p).Equal(want) {
			t.Errorf("%s: got\n%s\nwant\n%s", tg.Name, p, want)
		}
		programs[withoutComments(p).String()] = tg.Name
	}
	if len(programs) < 2 {
		t.Errorf("every target decoded the input to the same program: the profiles were not used")
	}
}

func TestDetectForm(t *testing.T) {
	tests := []struct{ src, want string }{
		{"go test fuzz v1\n[]byte(\"x\")\n", formGoFuzz},
		{"go test fuzz v1\r\n[]byte(\"x\")\r\n", formGoFuzz},
		{"# sockfuzz program v1\ncpus 1\n", formText},
		{"cpus\t1\r\nproc p0\n", formText},
		{"", formText},
		{"\x00\x00\x00\x02ab", formLibFuzzer},
		{"\x00\x00\x00\x05cpus 1", formLibFuzzer},
		{"\xff\xfe", formLibFuzzer},
	}
	for _, tc := range tests {
		if got := detectForm([]byte(tc.src)); got != tc.want {
			t.Errorf("detectForm(%q) = %s, want %s", tc.src, got, tc.want)
		}
	}
}

// TestConvertAuto converts one program's three forms with -from auto and gets the same text.
func TestConvertAuto(t *testing.T) {
	dir := t.TempDir()
	text, err := os.ReadFile("testdata/clean.prog")
	if err != nil {
		t.Fatal(err)
	}
	p, err := repro.Parse("clean.prog", text)
	if err != nil {
		t.Fatal(err)
	}
	data, err := repro.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"a.prog":   text,
		"b.gofuzz": corpusfile.MarshalGo(data),
		"c.lf":     corpusfile.MarshalLibFuzzer(data),
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errs := convertRun("-to", "text", path)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, errs)
		}
		q, err := repro.Parse(name, out)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !withoutComments(q).Equal(withoutComments(p)) {
			t.Errorf("%s converted to\n%s\nwant\n%s", name, q, p)
		}
	}
}

func TestConvertErrors(t *testing.T) {
	const td = "testdata/convert/"
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-to", "text", td + "unclosed.gofuzz"}, td + "unclosed.gofuzz:3: expected []byte(\"...\")"},
		{[]string{"-to", "text", td + "string.gofuzz"}, td + "string.gofuzz:2: expected []byte(\"...\"), found a value of type string"},
		{[]string{"-to", "text", "-from", "gofuzz", "testdata/clean.prog"}, "testdata/clean.prog:1: expected the header \"go test fuzz v1\""},
		{[]string{"-to", "text", td + "truncated.libfuzzer"}, td + "truncated.libfuzzer: truncated libFuzzer input: 3 bytes"},
		{[]string{"-to", "gofuzz", td + "client.prog"}, td + "client.prog: encode: process \"client\" should be named p0: not a canonical program"},
		{[]string{"-to", "gofuzz", "-fuzz-target", "FuzzAcceptQueue", "testdata/clean.prog"}, "testdata/clean.prog: encode: process p0 call 4 (recv): recv is not in profile accept"},
		{[]string{"-to", "gofuzz", "testdata/badport.prog"}, "testdata/badport.prog:3:"},
		{[]string{"-to", "text", "-from", "libfuzzer", "-fuzz-target", "FuzzReproText", td + "unclosed.gofuzz"}, "the FuzzReproText input is not a program"},
		{[]string{"-to", "text", "testdata/nosuch"}, "no such file"},
		{[]string{"-to", "pdf", "testdata/clean.prog"}, "-to \"pdf\": want text, gofuzz or libfuzzer"},
		{[]string{"-to", "text", "-from", "zip", "testdata/clean.prog"}, "-from \"zip\""},
		{[]string{"-to", "text", "-fuzz-target", "FuzzNothing", "testdata/clean.prog"}, "-fuzz-target \"FuzzNothing\": want one of FuzzSockets, "},
		{[]string{"-to", "text", "-mode", "fast", "testdata/clean.prog"}, "-mode \"fast\""},
		{[]string{"-to", "text", "-faults", "no-such-fault", "testdata/clean.prog"}, "-faults \"no-such-fault\""},
		{[]string{"-to", "text"}, "no input file given"},
		{[]string{"-to", "gofuzz", "testdata/clean.prog", "testdata/clean.prog"}, "2 files to gofuzz: give -o DIR"},
	}
	for _, tc := range tests {
		code, _, errs := convertRun(tc.args...)
		if code != 2 || !strings.Contains(errs, tc.wantErr) {
			t.Errorf("convert %q = exit %d, stderr %q; want exit 2 and %q", tc.args, code, errs, tc.wantErr)
		}
	}
}

// TestConvertModeAndFaults checks the header bytes -> text writes: the mode the target runs
// (controlled by default, the input's bit with -mode input) and the faults of -faults; and
// that text -> bytes drops the faults with a note.
func TestConvertModeAndFaults(t *testing.T) {
	dir := t.TempDir()
	gf := filepath.Join(dir, "free.gofuzz")
	code, _, errs := convertRun("-to", "gofuzz", "-o", gf, "testdata/convert/free.prog")
	if code != 0 || !strings.Contains(errs, "run it with SOCKFUZZ_FAULTS=accept-queue-unlocked") {
		t.Fatalf("text -> gofuzz: exit %d, stderr %q; want 0 and a note on the faults", code, errs)
	}
	tests := []struct {
		args       []string
		wantMode   repro.Mode
		wantFaults []string
	}{
		{nil, repro.Controlled, nil},
		{[]string{"-mode", "free"}, repro.Free, nil},
		{[]string{"-mode", "input"}, repro.Free, nil},
		{[]string{"-faults", "accept-queue-unlocked"}, repro.Controlled, []string{"accept-queue-unlocked"}},
	}
	for _, tc := range tests {
		code, out, errs := convertRun(append(append([]string{"-to", "text"}, tc.args...), gf)...)
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", tc.args, code, errs)
		}
		p, err := repro.Parse("out", out)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if p.Header.Mode != tc.wantMode || strings.Join(p.Header.Faults, ",") != strings.Join(tc.wantFaults, ",") {
			t.Errorf("%q: mode %s faults %q, want %s %q", tc.args, p.Header.Mode, p.Header.Faults, tc.wantMode, tc.wantFaults)
		}
	}
}

// TestConvertOutputDir checks -o DIR: files named as go test and libFuzzer name them, written
// whole, and two inputs that would overwrite each other refused.
func TestConvertOutputDir(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "testdata", "fuzz", "FuzzSockets")
	seeds := []string{"../../corpus/seeds/02_recv_before_connect.prog", "testdata/clean.prog"}
	if code, _, errs := convertRun(append([]string{"-to", "gofuzz", "-o", out}, seeds...)...); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	entries, err := os.ReadDir(out)
	if err != nil || len(entries) != 2 {
		t.Fatalf("%d files in %s (%v), want 2", len(entries), out, err)
	}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(out, e.Name()))
		if e.Name() != corpusfile.GoName(b) {
			t.Errorf("file %s, want the name go test gives it, %s", e.Name(), corpusfile.GoName(b))
		}
		if _, err := corpusfile.UnmarshalGo(e.Name(), b); err != nil {
			t.Error(err)
		}
	}
	// The Go files back to text, into a directory named with a trailing slash.
	txt := filepath.Join(dir, "text") + "/"
	var gofiles []string
	for _, e := range entries {
		gofiles = append(gofiles, filepath.Join(out, e.Name()))
	}
	if code, _, errs := convertRun(append([]string{"-to", "text", "-o", txt}, gofiles...)...); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(txt, e.Name()+".prog")); err != nil {
			t.Error(err)
		}
	}
	// Two inputs of the same base name would write the same text file.
	other := filepath.Join(dir, "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	clean, _ := os.ReadFile("testdata/clean.prog")
	if err := os.WriteFile(filepath.Join(other, "clean.prog"), clean, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := convertRun("-to", "text", "-o", filepath.Join(dir, "same"), "testdata/clean.prog", filepath.Join(other, "clean.prog"))
	if code != 2 || !strings.Contains(errs, "both convert to") {
		t.Errorf("two clean.prog: exit %d, stderr %q; want 2 and a refusal", code, errs)
	}
}

// TestConvertInexactLibFuzzer converts a libFuzzer input whose length field libFuzzer mutated:
// the program is the one the target ran, and a note says so.
func TestConvertInexactLibFuzzer(t *testing.T) {
	text, _ := os.ReadFile("testdata/clean.prog")
	p, err := repro.Parse("clean.prog", text)
	if err != nil {
		t.Fatal(err)
	}
	data, err := repro.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	lf := corpusfile.MarshalLibFuzzer(data)
	lf[3] += byte(len(data)) // the length plus the bytes left, modulo them: the same length
	lf = append(lf, 0xff)    // ... plus one trailing byte: the target reads len+2 % len+1 = 1
	path := filepath.Join(t.TempDir(), "mutated")
	if err := os.WriteFile(path, lf, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := convertRun("-to", "text", path)
	if code != 0 || !strings.Contains(errs, "the target reads") {
		t.Fatalf("exit %d, stderr %q; want 0 and a note", code, errs)
	}
	got, err := repro.Parse("out", out)
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := corpusfile.UnmarshalLibFuzzer(lf)
	if !withoutComments(got).Equal(repro.Decode(want)) {
		t.Errorf("got\n%s\nwant the program of the bytes the target reads\n%s", got, repro.Decode(want))
	}
}

// TestConvertFailing checks -failing: for a seed that fails with a fault only under one of the
// schedules derived from its bytes, plain conversion writes its own schedule (clean) and
// -failing the failing one, whose program replays to the same title.
func TestConvertFailing(t *testing.T) {
	const fault = "so-state-rmw"
	faults, err := repro.FaultSet(stack.DefaultTarget, []string{fault})
	if err != nil {
		t.Fatal(err)
	}
	n, err := fuzz.SchedulesFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	h := fuzz.NewHarness(fuzz.Sockets)
	for _, seed := range h.Seeds() {
		p := fuzz.Sockets.Profile.Decode(seed)
		x, err := fuzz.Explore(p, seed, n, repro.Options{Faults: faults, Mode: repro.Controlled, StepBudget: fuzz.StepBudget})
		if err != nil {
			t.Fatal(err)
		}
		if x.Index == 0 {
			continue // clean, or failing under its own schedule already
		}
		file := filepath.Join(t.TempDir(), "input")
		if err := os.WriteFile(file, corpusfile.MarshalGo(seed), 0o644); err != nil {
			t.Fatal(err)
		}
		replay := func(args ...string) string {
			t.Helper()
			code, out, stderr := convertRun(append(args, "-to", "text", "-faults", fault, file)...)
			if code != 0 {
				t.Fatalf("convert %v: exit %d: %s", args, code, stderr)
			}
			q, err := repro.Parse("converted", out)
			if err != nil {
				t.Fatalf("convert %v wrote no program: %v\n%s", args, err, out)
			}
			o, err := repro.Execute(q, repro.Options{StepBudget: fuzz.StepBudget})
			if err != nil {
				t.Fatal(err)
			}
			return o.Title()
		}
		if got := replay(); got != "" {
			t.Errorf("plain conversion (the input's own schedule) failed with %q, want clean", got)
		}
		if got, want := replay("-failing"), x.Outcome.Title(); got != want {
			t.Errorf("-failing: the program replays to %q, want %q", got, want)
		}
		return
	}
	t.Fatalf("no seed fails with %s only under a derived schedule", fault)
}
