package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/repro/corpusfile"
	"github.com/sockfuzz/sockfuzz/stack"
)

// The forms a program or fuzz input can be stored in.
const (
	formText      = "text"      // a program's text (.prog)
	formGoFuzz    = "gofuzz"    // a go test fuzz v1 corpus file
	formLibFuzzer = "libfuzzer" // a libFuzzer input of a go-118-fuzz-build target
)

// versionComment is the first comment line of a program file, after its '#'.
const versionComment = " sockfuzz program v1"

// reproTextTarget is the fuzz target whose input is a program's text, not its byte form.
const reproTextTarget = "FuzzReproText"

// convertTargets are the fuzz targets whose inputs decode with a profile of the byte codec.
var convertTargets = fuzz.ByteTargets()

// targetNames lists every fuzz target convert knows, for messages.
func targetNames() string {
	var names []string
	for _, t := range convertTargets {
		names = append(names, t.Name)
	}
	return strings.Join(append(names, reproTextTarget), ", ")
}

// converter holds one convert command's settings.
type converter struct {
	from, to  string
	target    string       // the fuzz target
	stack     string       // the -target flag: the stack target of programs naming none ("" for the default)
	byteTgt   *fuzz.Target // nil for FuzzReproText
	fuzzStack string       // the stack the fuzz target runs on ("" for FuzzReproText)
	mode      string       // the mode bytes -> text writes: controlled, free or input
	faults    []string     // the faults bytes -> text writes
	failing   bool         // bytes -> text: write the program under the schedule that fails
	stderr    io.Writer
}

// convertCmd is `sockfuzz convert`: it converts programs and fuzz inputs between the text form,
// Go corpus files and libFuzzer inputs. Exit status 0 when every file converted, 2 otherwise
// (a bad argument, or a file that does not read, parse or encode).
func convertCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sockfuzz convert [-from auto|text|gofuzz|libfuzzer] -to text|gofuzz|libfuzzer [-fuzz-target FuzzX] [-target T] [-mode controlled|free|input] [-faults a,b] [-failing] [-o OUT] FILE...")
		fmt.Fprintln(stderr, "Without -o one file goes to standard output (several only with -to text); -o names a file,")
		fmt.Fprintln(stderr, "or a directory (existing, ending in /, or for several files) that gets one file per input,")
		fmt.Fprintln(stderr, "named as go test (gofuzz), libFuzzer (libfuzzer) or after the input (text) names them.")
		fs.PrintDefaults()
	}
	c := &converter{stderr: stderr}
	fs.StringVar(&c.from, "from", "auto", "the inputs' form: auto (by content), text, gofuzz or libfuzzer")
	fs.StringVar(&c.to, "to", "", "the form to write: text, gofuzz or libfuzzer")
	fs.StringVar(&c.target, "fuzz-target", fuzz.Sockets.Name, "the fuzz target whose inputs the bytes are: "+targetNames())
	tname := programTargetFlag(fs)
	fs.StringVar(&c.mode, "mode", string(repro.Controlled), "bytes to text: the program's mode: controlled or free (as SOCKFUZZ_MODE runs the target), or input (the input's mode bit)")
	faults := fs.String("faults", "", "bytes to text: the faults the program switches on, comma-separated (as SOCKFUZZ_FAULTS)")
	fs.BoolVar(&c.failing, "failing", false, "bytes to text: run the input as its target does (its own schedule, then SOCKFUZZ_SCHEDULES-1 derived ones) and write the program under the first schedule that fails")
	out := fs.String("o", "", "output file or directory (default standard output)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "sockfuzz convert: "+format+"\n", a...)
		return 2
	}
	if c.from != "auto" && !isForm(c.from) {
		return fail("-from %q: want auto, text, gofuzz or libfuzzer", c.from)
	}
	if !isForm(c.to) {
		return fail("-to %q: want text, gofuzz or libfuzzer", c.to)
	}
	if c.target != reproTextTarget {
		i := slices.IndexFunc(convertTargets, func(t fuzz.Target) bool { return t.Name == c.target })
		if i < 0 {
			return fail("-fuzz-target %q: want one of %s", c.target, targetNames())
		}
		c.byteTgt = &convertTargets[i]
		c.fuzzStack = convertTargets[i].StackName()
	}
	if c.mode != string(repro.Controlled) && c.mode != string(repro.Free) && c.mode != "input" {
		return fail("-mode %q: want controlled, free or input", c.mode)
	}
	c.stack = *tname
	if c.stack != "" {
		t, err := lookupTarget(c.stack)
		if err != nil {
			return fail("%v", err)
		}
		c.stack = t.Name()
	} else if c.fuzzStack != "" {
		c.stack = c.fuzzStack // the fuzz target's inputs run on its own stack
	}
	if s := strings.TrimSpace(*faults); s != "" {
		c.faults = strings.Split(s, ",")
		if _, err := repro.FaultSet(c.stack, c.faults); err != nil {
			return fail("-faults %q: %v", *faults, err)
		}
	}
	files := fs.Args()
	if len(files) == 0 {
		return fail("no input file given")
	}
	dir, err := outputDir(*out, len(files))
	if err != nil {
		return fail("%v", err)
	}
	if *out == "" && len(files) > 1 && c.to != formText {
		return fail("%d files to %s: give -o DIR", len(files), c.to)
	}
	written := map[string]string{} // output path -> the input it came from
	for i, file := range files {
		res, err := c.convert(file)
		if err != nil {
			return fail("%v", err)
		}
		switch {
		case *out == "":
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			if _, err := stdout.Write(res); err != nil {
				return fail("%v", err)
			}
			continue
		case dir:
			path := filepath.Join(*out, c.outputName(file, res))
			if prev, ok := written[path]; ok && prev != file {
				return fail("%s and %s both convert to %s", prev, file, path)
			}
			written[path] = file
			err = corpusfile.WriteFile(path, res, 0o644)
		default:
			err = corpusfile.WriteFile(*out, res, 0o644)
		}
		if err != nil {
			return fail("%s: %v", file, err)
		}
	}
	return 0
}

func isForm(s string) bool { return s == formText || s == formGoFuzz || s == formLibFuzzer }

// outputDir reports whether -o names a directory, creating it when it must be one.
func outputDir(out string, nfiles int) (bool, error) {
	if out == "" {
		return false, nil
	}
	st, err := os.Stat(out)
	isDir := err == nil && st.IsDir()
	if !isDir && (nfiles > 1 || strings.HasSuffix(out, "/")) {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return false, fmt.Errorf("-o %s: %w", out, err)
		}
		isDir = true
	}
	return isDir, nil
}

// outputName is the name a converted file gets in an output directory: the name go test or
// libFuzzer would give it, or for text the input's name with the extension .prog.
func (c *converter) outputName(file string, res []byte) string {
	switch c.to {
	case formGoFuzz:
		return corpusfile.GoName(res)
	case formLibFuzzer:
		return corpusfile.LibFuzzerName(res)
	}
	base := filepath.Base(file)
	return strings.TrimSuffix(base, filepath.Ext(base)) + ".prog"
}

// convert reads one file and returns it in the target form.
func (c *converter) convert(file string) ([]byte, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	from := c.from
	if from == "auto" {
		from = detectForm(src)
	}
	if from == formText {
		p, err := repro.Parse(file, src)
		if err != nil {
			return nil, err
		}
		if _, err := programTarget(file, p, c.stack); err != nil {
			return nil, err
		}
		if c.to == formText {
			return []byte(p.String()), nil
		}
		data, err := c.encode(file, src, p)
		if err != nil {
			return nil, err
		}
		return marshal(c.to, data), nil
	}
	var data []byte
	switch from {
	case formGoFuzz:
		if data, err = corpusfile.UnmarshalGo(file, src); err != nil {
			return nil, err
		}
	case formLibFuzzer:
		var exact bool
		if data, exact, err = corpusfile.UnmarshalLibFuzzer(src); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if !exact {
			fmt.Fprintf(c.stderr, "sockfuzz convert: %s: the length field does not match the %d bytes after it: the target reads %d of them, and so does convert\n", file, len(src)-4, len(data))
		}
	}
	if c.to != formText {
		// Bytes to bytes: the input as it is, whatever the target.
		return marshal(c.to, data), nil
	}
	p, err := c.decode(file, from, data)
	if err != nil {
		return nil, err
	}
	return []byte(p.String()), nil
}

// encode turns a program into the target's input bytes. The text target takes the file as it
// is; the others take the byte form, which holds no faults (a run takes them from
// SOCKFUZZ_FAULTS) and only canonical programs.
func (c *converter) encode(file string, src []byte, p *repro.Program) ([]byte, error) {
	if c.byteTgt == nil {
		return src, nil
	}
	if f := p.Header.Faults; len(f) > 0 {
		fmt.Fprintf(c.stderr, "sockfuzz convert: %s: the byte form holds no faults: run it with %s=%s\n", file, fuzz.EnvFaults, strings.Join(f, ","))
		q := *p
		q.Header.Faults = nil
		p = &q
	}
	if t := p.Header.Target; t != "" && t != stack.DefaultTarget {
		fmt.Fprintf(c.stderr, "sockfuzz convert: %s: the byte form holds no target: run it with %s=%s\n", file, fuzz.EnvTarget, t)
		q := *p
		q.Header.Target = ""
		p = &q
	}
	data, err := c.byteTgt.Encode(p)
	if err != nil {
		if errors.Is(err, repro.ErrNotCanonical) {
			return nil, fmt.Errorf("%s: %w (the byte form of %s holds only canonical programs: processes p0, p1, ..., table values, a result for every socket, accept and dup)", file, err, c.target)
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return data, nil
}

// decode turns a target's input bytes into the program the target runs, with the header that
// replays it as the fuzzing run ran it.
func (c *converter) decode(file, from string, data []byte) (*repro.Program, error) {
	var p *repro.Program
	if c.byteTgt == nil {
		var err error
		if p, err = repro.Parse(file, data); err != nil {
			return nil, fmt.Errorf("the %s input is not a program: %w", reproTextTarget, err)
		}
	} else {
		p = c.byteTgt.Decode(data)
		p.Header.Target = "" // the -target flag's, below
		if c.stack != stack.DefaultTarget {
			p.Header.Target = c.stack
		}
		if c.mode != "input" {
			p.Header.Mode = repro.Mode(c.mode)
		}
		if len(c.faults) > 0 {
			p.Header.Faults = c.faults
		}
		if c.failing {
			var err error
			if p, err = c.explore(p, data); err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
		}
	}
	head := []string{fmt.Sprintf(" converted from %s (%s input of %s)", printable(file), from, c.target)}
	if len(p.Comments) == 0 || p.Comments[0] != versionComment {
		head = append([]string{versionComment}, head...)
	}
	p.Comments = append(head, p.Comments...)
	return p, nil
}

// explore runs a decoded input as its fuzz target does (fuzz.ExploreInput) and returns the program
// under the schedule that failed, or under its own schedule, with a note, when none did: the
// input's own schedule is only the first of the schedules the target tried.
func (c *converter) explore(p *repro.Program, data []byte) (*repro.Program, error) {
	n, err := fuzz.SchedulesFromEnv()
	if err != nil {
		return nil, err
	}
	seed := c.byteTgt != nil && fuzz.IsSeed(*c.byteTgt, data)
	x, err := fuzz.ExploreInput(p, data, n, repro.Options{StepBudget: fuzz.StepBudget}, seed)
	if err != nil {
		return nil, err
	}
	q := *x.Program
	note := fmt.Sprintf(" fails with: %s (schedule %d of %d)", x.Outcome.Title(), x.Index, n)
	if !x.Outcome.Failed() {
		note = fmt.Sprintf(" no failure under any of its %d schedules; this is its own", n)
	}
	q.Comments = append([]string{note}, q.Comments...)
	return &q, nil
}

// marshal writes input bytes in a bytes form.
func marshal(form string, data []byte) []byte {
	if form == formGoFuzz {
		return corpusfile.MarshalGo(data)
	}
	return corpusfile.MarshalLibFuzzer(data)
}

// detectForm guesses a file's form from its content: the Go corpus header, else text when the
// content is printable UTF-8, else a libFuzzer input (whose length field starts with a zero
// byte for any input under 16 MiB).
func detectForm(src []byte) string {
	if corpusfile.IsGo(src) {
		return formGoFuzz
	}
	if utf8.Valid(src) && !bytes.ContainsFunc(src, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
	}) {
		return formText
	}
	return formLibFuzzer
}

// printable keeps a file name on one comment line.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}
