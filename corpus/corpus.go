// Package corpus embeds sockfuzz's seed programs: small hand-written programs in the text form
// of package repro, one per situation of the 2008 "[netmp] socket accesses" mail (soreceive's
// connection check, sosend's implied connect, kern_connect's error path, tcp_input's
// SS_CANTRCVMORE tests, the OOB mark, SS_ASYNC, SS_NOFDREF on every path, the accept queues)
// and the socket life-cycle around them (listen queue overflow, UDP, poll, interrupts,
// SO_LINGER, TIME_WAIT).
//
// Every seed runs clean on the correct stack, and most are canonical for the byte form, so
// that the fuzz targets seed from them through repro.Encode. Each file starts with comment
// lines that quote the mail's words for its situation and say what the program does.
//
// It also embeds the stored crashers of crashers/ (see crashers/README.md): minimized programs
// that fail with one report title each, replayed as regression tests.
package corpus

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"

	"github.com/sockfuzz/sockfuzz/repro"
)

//go:embed seeds/*.prog
var seedFS embed.FS

// netstackSeedFS holds the seeds of the netstack target alone: programs that use what only
// netstack has (the wire operations stackclose and unreach), or its two TCP processors.
//
//go:embed seeds-netstack/*.prog
var netstackSeedFS embed.FS

// crasherFS holds crashers/ whole (its README.md included), so that the embed pattern matches
// while the directory holds no crasher yet.
//
//go:embed crashers
var crasherFS embed.FS

// findingFS holds findings/ whole: programs that show a bug of a real stack (gVisor's
// netstack), each written up under docs/findings/.
//
//go:embed findings
var findingFS embed.FS

// Seed is one seed program's text, as stored.
type Seed struct {
	// Name is the file's name under seeds/, such as "01_recv_connecting.prog".
	Name string
	// Text is the file's content: a program in repro's text form.
	Text []byte
}

// Seeds returns the seed programs every target shares, sorted by name.
func Seeds() []Seed {
	return progFiles(seedFS, "seeds")
}

// TargetSeeds returns the seeds of one stack target beside the shared ones (seeds-TARGET/),
// sorted by name, each named "seeds-TARGET/FILE"; none for a target that has none.
func TargetSeeds(target string) []Seed {
	if target != "netstack" {
		return nil
	}
	seeds := progFiles(netstackSeedFS, "seeds-netstack")
	for i := range seeds {
		seeds[i].Name = path.Join("seeds-netstack", seeds[i].Name)
	}
	return seeds
}

// CrasherFile is one stored crasher's text, as stored.
type CrasherFile struct {
	// Name is the file's name under crashers/.
	Name string
	// Text is the file's content: a crasher header and a program in repro's text form.
	Text []byte
}

// Crashers returns the stored crashers' files (crashers/*.prog), sorted by name; none while
// no crasher is stored.
func Crashers() []CrasherFile {
	var out []CrasherFile
	for _, f := range progFiles(crasherFS, "crashers") {
		out = append(out, CrasherFile(f))
	}
	return out
}

// Findings returns the findings' files (findings/*.prog), stored crashers of a real stack
// with faults off, sorted by name. Each replays its title until the stack is fixed.
func Findings() []CrasherFile {
	var out []CrasherFile
	for _, f := range progFiles(findingFS, "findings") {
		out = append(out, CrasherFile(f))
	}
	return out
}

// Crasher parses the file as a stored crasher (header and program); an error names the file
// and line.
func (f CrasherFile) Crasher() (*repro.Crasher, error) {
	c, err := repro.ParseCrasher(path.Join("crashers", f.Name), f.Text)
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	return c, nil
}

// progFiles returns the .prog files of dir in fsys, sorted by name, as Seeds (name and text).
func progFiles(fsys embed.FS, dir string) []Seed {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		// The pattern is embedded at build time: the directory is always there.
		panic(fmt.Sprintf("corpus: %v", err))
	}
	var out []Seed
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".prog" {
			continue
		}
		b, err := fsys.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			panic(fmt.Sprintf("corpus: %v", err))
		}
		out = append(out, Seed{Name: e.Name(), Text: b})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Programs parses the seed programs, in the order of Seeds. An error names the file.
func Programs() ([]*repro.Program, error) {
	seeds := Seeds()
	out := make([]*repro.Program, 0, len(seeds))
	for _, s := range seeds {
		p, err := s.Program()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Program parses the seed's text and validates the program; an error names the file.
func (s Seed) Program() (*repro.Program, error) {
	name := s.Name
	if path.Dir(name) == "." {
		name = path.Join("seeds", name)
	}
	p, err := repro.Parse(name, s.Text)
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	if err := repro.Validate(p); err != nil {
		return nil, fmt.Errorf("corpus: %s: %w", name, err)
	}
	return p, nil
}

// Witness returns the witness of fault (crashers/witnesses/FAULT.prog), parsed.
func Witness(fault string) (*repro.Crasher, error) {
	for _, f := range Witnesses() {
		if f.Name == path.Join("witnesses", fault+".prog") {
			return f.Crasher()
		}
	}
	return nil, fmt.Errorf("corpus: no witness of fault %q", fault)
}

// Witnesses returns the witness of each fault of the catalog (crashers/witnesses/FAULT.prog):
// a program in the crasher format that trips the fault's expected oracle under its explicit
// schedule with the fault on, and runs clean with it off. The hunt never starts from them.
func Witnesses() []CrasherFile {
	var out []CrasherFile
	for _, f := range progFiles(crasherFS, "crashers/witnesses") {
		f.Name = path.Join("witnesses", f.Name)
		out = append(out, CrasherFile(f))
	}
	return out
}
