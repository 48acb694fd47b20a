// Package bench is `sockfuzz bench`: the fuzzing engine's speed measured side by side, in one
// run on one machine, so that every figure it prints can be read as a ratio of two runs that
// shared the machine's load.
//
// It measures three things, in sections:
//
//   - ceiling: the executions per second of a trivial go test -fuzz target (package trivial)
//     beside FuzzSockets', with the same workers and duration;
//   - cost: where one execution's time goes, for FuzzSockets' seed programs: decoding, the
//     bare model in free mode, the controlled scheduler, its race detector, the oracles (in
//     this process, on one P), the same in a coverage-instrumented build (package covloop),
//     and the fuzz target under go test -fuzz with one worker;
//   - libfuzzer: FuzzSockets as OSS-Fuzz builds it (tools/oss-fuzz/local.sh) beside go test
//     -fuzz, one worker each.
//
// Every measurement is made -rounds times, the measurements of a round one after the other
// (in the reverse order in odd rounds; the in-process ones taking turns in slices of 250 ms),
// and the table gives medians, of wall time and of CPU time. With a reference
// revision (-ref) the FuzzSockets rows are also measured on a git worktree of it, interleaved
// with the current tree's.
//
// Units: go test -fuzz and libFuzzer count inputs; every measurement runs with
// SOCKFUZZ_SCHEDULES=1, so that an input is one execution (one schedule of one input). The
// in-process rows count executions.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// The sections, in the order they are printed.
const (
	SectionCeiling   = "ceiling"
	SectionCost      = "cost"
	SectionLibFuzzer = "libfuzzer"
)

// Sections lists every section.
var Sections = []string{SectionCeiling, SectionCost, SectionLibFuzzer}

// The values of Config.LibFuzzer.
const (
	LibFuzzerAuto = "auto" // on when clang is on PATH
	LibFuzzerOn   = "on"   // local.sh installs the toolchain if it is missing (as root)
	LibFuzzerOff  = "off"
)

// Limits of the configuration.
const (
	MinDuration = 5 * time.Second // go test -fuzz prints its progress every 3 s
	MaxDuration = time.Hour
	MaxRounds   = 100
	MaxJobs     = 64
)

// Config is one bench run's configuration.
type Config struct {
	// Duration is each measurement's: a go test -fuzz or libFuzzer process, or (a third of
	// it) an in-process loop. A whole number of seconds (libFuzzer's -max_total_time).
	Duration time.Duration
	// Rounds is the number of times each measurement is made; the table gives medians.
	Rounds int
	// Jobs is the number of workers of the ceiling rows.
	Jobs int
	// Ref is another git revision to measure beside the current tree; "" for none.
	Ref string
	// LibFuzzer is LibFuzzerAuto, LibFuzzerOn or LibFuzzerOff.
	LibFuzzer string
	// Only selects sections; empty means every section.
	Only []string
	// WorkDir holds the binaries, the reference worktree and the runs' scratch directories;
	// it must exist.
	WorkDir string
	// Root is the current tree: the sockfuzz module's directory.
	Root string
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// BuildArgs are the go test flags the main job builds its -fuzz binaries with
	// (covbuild.Args): the current tree's binaries are built with them, and so is the reference
	// tree's when it has that build (tools/sockfuzz/internal/covbuild); a reference without it is
	// built plainly, as its own main job built it.
	BuildArgs []string
	// CurrentEnv, CurrentTags and CurrentArgs are added to the builds of the current tree
	// only: the hooked build's environment, tag and flags when the tool is hooked
	// (docs/netstack-design.md §2.4), none otherwise. A reference tree is built as its own
	// main job builds it.
	CurrentEnv  []string
	CurrentTags string
	CurrentArgs []string
}

// Check reports the first bad field of c, in words that name the command's flag.
func (c *Config) Check() error {
	switch {
	case c.Duration < MinDuration || c.Duration > MaxDuration:
		return fmt.Errorf("-duration %s: want %s to %s", c.Duration, MinDuration, MaxDuration)
	case c.Duration%time.Second != 0:
		return fmt.Errorf("-duration %s: want a whole number of seconds (libFuzzer's -max_total_time)", c.Duration)
	case c.Rounds < 1 || c.Rounds > MaxRounds:
		return fmt.Errorf("-rounds %d: want 1 to %d", c.Rounds, MaxRounds)
	case c.Jobs < 1 || c.Jobs > MaxJobs:
		return fmt.Errorf("-jobs %d: want 1 to %d", c.Jobs, MaxJobs)
	}
	switch c.LibFuzzer {
	case LibFuzzerAuto, LibFuzzerOn, LibFuzzerOff:
	default:
		return fmt.Errorf("-libfuzzer %q: want auto, on or off", c.LibFuzzer)
	}
	for _, s := range c.Only {
		if !slices.Contains(Sections, s) {
			return fmt.Errorf("-only: unknown section %q: want some of %s", s, strings.Join(Sections, ","))
		}
	}
	if strings.HasPrefix(c.Ref, "-") {
		return fmt.Errorf("-ref %q: not a revision", c.Ref)
	}
	return nil
}

// ParseOnly splits a comma-separated list of sections ("" is every section).
func ParseOnly(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// has reports whether a section is selected.
func (c *Config) has(section string) bool {
	return len(c.Only) == 0 || slices.Contains(c.Only, section)
}

// ModuleRoot returns the directory of the sockfuzz module the working directory is in.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside a Go module: run sockfuzz bench in the sockfuzz tree")
	}
	src, err := os.ReadFile(mod)
	if err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	if !strings.Contains(string(src), "module github.com/sockfuzz/sockfuzz\n") {
		return "", fmt.Errorf("%s is not the sockfuzz module: run sockfuzz bench in the sockfuzz tree", mod)
	}
	return filepath.Dir(mod), nil
}

// ResolveRev returns the full commit hash of a revision of the repository at root.
func ResolveRev(root, rev string) (string, error) {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}").Output()
	if err != nil {
		return "", fmt.Errorf("-ref %q: not a commit of the repository at %s", rev, root)
	}
	return strings.TrimSpace(string(out)), nil
}

// CheckWorkDir refuses a work directory inside the tree that git does not ignore:
// tools/oss-fuzz/local.sh copies the tree's files, the work directory's binaries and
// reference worktree with them.
func CheckWorkDir(root, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("-workdir %s: %w", dir, err)
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil // outside the tree
	}
	if rel == "." {
		return fmt.Errorf("-workdir %s: the tree itself; want a directory outside it or one git ignores (.sockfuzz/bench)", dir)
	}
	if exec.Command("git", "-C", root, "check-ignore", "-q", "--", rel).Run() != nil {
		return fmt.Errorf("-workdir %s: inside the tree and not ignored by git (local.sh would copy it): want a directory outside it or one git ignores (.sockfuzz/bench)", dir)
	}
	return nil
}

// rate is one round's figure of a measurement: units per second of wall time, and per second
// of the CPU time (user and system) of the processes that made them, 0 when unknown. On a
// machine shared with other work the second is the steadier.
type rate struct{ Wall, CPU float64 }

// measurement is one row of the table and its rates, one per round.
type measurement struct {
	row   Row
	rates []rate
	err   error
}

// task is what a round runs in one go: one measurement, or several that interleave in short
// slices (the in-process ones, so that a change of the machine's load hits them alike). run
// returns a rate per measurement.
type task struct {
	ms  []*measurement
	run func(ctx context.Context, round int) ([]rate, error)
}

// bench is one run's state.
type bench struct {
	cfg     Config
	log     io.Writer
	rep     *Report
	cur     *tree
	ref     *tree
	seeds   *Seeds
	bins    map[string]string // built test binaries by name
	ms      []*measurement    // the rows, in the table's order
	byKey   map[string]*measurement
	tasks   []*task
	cleanup []func()
}

// Run measures, then returns the report. On an error (a build that failed, an interrupt) the
// report holds what was measured so far.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	b := &bench{cfg: cfg, log: cfg.Log, bins: map[string]string{}, byKey: map[string]*measurement{}}
	if b.log == nil {
		b.log = io.Discard
	}
	defer func() {
		for i := len(b.cleanup) - 1; i >= 0; i-- {
			b.cleanup[i]()
		}
	}()
	b.rep = newReport(&cfg)
	start := time.Now()
	err := b.prepare(ctx)
	if err == nil {
		err = b.measure(ctx)
	}
	b.rep.finish(b.ms, time.Since(start))
	return b.rep, err
}

// prepare builds what the selected sections need and plans the measurements.
func (b *bench) prepare(ctx context.Context) error {
	var err error
	if b.cur, err = currentTree(b.cfg.Root); err != nil {
		return err
	}
	b.rep.Current = b.cur.info
	if b.cfg.Ref != "" {
		if b.ref, err = refTree(ctx, b.cfg.Root, b.cfg.Ref, b.cfg.WorkDir, b.log); err != nil {
			return err
		}
		b.cleanup = append(b.cleanup, b.ref.remove)
		b.rep.Ref = &b.ref.info
	}
	trees := []*tree{b.cur}
	if b.ref != nil {
		trees = append(trees, b.ref)
	}
	for _, t := range trees {
		if err := b.build(ctx, t, t.name+"-fuzz", "./fuzz"); err != nil {
			return err
		}
	}
	if b.cfg.has(SectionCeiling) {
		if err := b.build(ctx, b.cur, "trivial", "./tools/sockfuzz/internal/bench/trivial"); err != nil {
			return err
		}
		b.addTrivial()
		for _, t := range trees {
			b.addGoFuzz(SectionCeiling, t, b.cfg.Jobs)
		}
	}
	if b.cfg.has(SectionCost) {
		if err := b.build(ctx, b.cur, "covloop", "./tools/sockfuzz/internal/bench/covloop"); err != nil {
			return err
		}
		fmt.Fprintf(b.log, "bench: the seed inputs, run once each\n")
		if b.seeds, err = NewSeeds(); err != nil {
			return err
		}
		b.rep.SeedPrograms = len(b.seeds.Inputs)
		b.addInProcess(stepDecode, stepBareFree, stepBareCtl, stepBareCtlRace, stepControlled)
		b.addCovLoop()
		b.addSeedMix()
		for _, t := range trees {
			b.addGoFuzz(SectionCost, t, 1)
		}
	}
	if b.cfg.has(SectionLibFuzzer) {
		for _, t := range trees {
			b.addGoFuzz(SectionLibFuzzer, t, 1)
		}
		on, why := b.libFuzzerWanted()
		if !on {
			b.rep.note(SectionLibFuzzer, "libFuzzer skipped: "+why)
		} else {
			for _, t := range trees {
				lf, err := buildLibFuzzer(ctx, t, b.cfg.WorkDir, b.log)
				if err != nil {
					if t == b.cur && b.cfg.LibFuzzer == LibFuzzerOn {
						return err
					}
					b.rep.note(SectionLibFuzzer, fmt.Sprintf("libFuzzer (%s) skipped: %v", t.name, err))
					continue
				}
				b.addLibFuzzer(t, lf)
			}
		}
	}
	return nil
}

// libFuzzerWanted reports whether to build and run libFuzzer, and why not.
func (b *bench) libFuzzerWanted() (bool, string) {
	switch b.cfg.LibFuzzer {
	case LibFuzzerOff:
		return false, "-libfuzzer off"
	case LibFuzzerOn:
		return true, ""
	}
	if runtime.GOOS != "linux" {
		return false, "tools/oss-fuzz/local.sh builds on Linux only"
	}
	if _, err := exec.LookPath("clang"); err != nil {
		return false, "clang is not on PATH (-libfuzzer on lets tools/oss-fuzz/local.sh install it with apt-get, as root)"
	}
	return true, ""
}

// build compiles a test binary of tree t with -fuzz (the coverage instrumentation go test
// -fuzz runs), as that tree's main job builds its binaries.
func (b *bench) build(ctx context.Context, t *tree, name, pkg string) error {
	bin := filepath.Join(b.cfg.WorkDir, "bin", name+".test")
	args := []string{"test", "-c", "-fuzz", "."}
	if t.covbuild() {
		args = append(args, b.cfg.BuildArgs...)
	}
	cur := t == b.cur
	if cur {
		if b.cfg.CurrentTags != "" {
			args = append(args, "-tags", b.cfg.CurrentTags)
		}
		args = append(args, b.cfg.CurrentArgs...)
	}
	args = append(args, "-o", bin, pkg)
	fmt.Fprintf(b.log, "bench: go %s (%s)\n", strings.Join(args, " "), t.dir)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = t.dir
	if cur && len(b.cfg.CurrentEnv) > 0 {
		cmd.Env = append(os.Environ(), b.cfg.CurrentEnv...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go test -c -fuzz %s in %s: %w\n%s", pkg, t.dir, err, out)
	}
	b.bins[name] = bin
	return nil
}

// add plans a measurement once; a second section asking for the same row shares it.
func (b *bench) add(section string, row Row, run func(ctx context.Context, round int) (rate, error)) {
	if m := b.byKey[row.Key]; m != nil {
		if !slices.Contains(m.row.Sections, section) {
			m.row.Sections = append(m.row.Sections, section)
		}
		return
	}
	m := b.newMeasurement(section, row)
	b.tasks = append(b.tasks, &task{ms: []*measurement{m}, run: func(ctx context.Context, round int) ([]rate, error) {
		x, err := run(ctx, round)
		return []rate{x}, err
	}})
}

// newMeasurement adds a row to the table.
func (b *bench) newMeasurement(section string, row Row) *measurement {
	row.Sections = []string{section}
	m := &measurement{row: row}
	b.ms = append(b.ms, m)
	b.byKey[row.Key] = m
	return m
}

func (b *bench) addTrivial() {
	row := Row{Key: "trivial", Label: "FuzzTrivial: 3 goroutines + a WaitGroup per input",
		Tree: "current", Engine: "go test -fuzz", Workers: b.cfg.Jobs, Unit: UnitInputs, Schedules: 1}
	b.add(SectionCeiling, row, func(ctx context.Context, round int) (rate, error) {
		return b.goFuzz(ctx, b.bins["trivial"], "", "FuzzTrivial", b.cfg.Jobs, fmt.Sprintf("trivial-%d", round))
	})
}

func (b *bench) addGoFuzz(section string, t *tree, workers int) {
	row := Row{Key: fmt.Sprintf("gofuzz/%s/%d", t.name, workers), Label: "FuzzSockets, go test -fuzz",
		Tree: t.name, Engine: "go test -fuzz", Workers: workers, Unit: UnitInputs, Schedules: 1}
	b.add(section, row, func(ctx context.Context, round int) (rate, error) {
		return b.goFuzz(ctx, b.bins[t.name+"-fuzz"], filepath.Join(t.dir, "fuzz"), "FuzzSockets", workers,
			fmt.Sprintf("gofuzz-%s-%d-%d", t.name, workers, round))
	})
}

func (b *bench) addLibFuzzer(t *tree, lf *libFuzzerBuild) {
	row := Row{Key: "libfuzzer/" + t.name, Label: "FuzzSockets, libFuzzer (local.sh build, as OSS-Fuzz)",
		Tree: t.name, Engine: "libFuzzer", Workers: 1, Unit: UnitInputs, Schedules: 1}
	b.add(SectionLibFuzzer, row, func(ctx context.Context, round int) (rate, error) {
		return b.libFuzzer(ctx, lf, fmt.Sprintf("libfuzzer-%s-%d", t.name, round))
	})
}

// inProcessLabels name the in-process rows.
var inProcessLabels = map[string]string{
	stepDecode:       "(d) decode: input bytes to program, no execution",
	stepBareFree:     "(a) bare model: free mode, no oracles, no schedule",
	stepBareCtl:      "(a1) controlled scheduler, no oracles, no race detector",
	stepBareCtlRace:  "(a2) controlled + happens-before detector, no oracles",
	stepControlled:   "(b) controlled, every oracle: the target's run (Harness.Run)",
	stepControlledCv: "(b') (b) in a -fuzz build (coverage counters), go test -bench",
	stepSeedMix:      "(c') go test -fuzz, every input runs a seed (FuzzSeedMix)",
}

// addInProcess plans the in-process measurements as one task: a third of -duration each per
// round, in slices of inProcessSlice taken in turn.
func (b *bench) addInProcess(steps ...string) {
	t := &task{run: func(ctx context.Context, round int) ([]rate, error) {
		return b.seeds.interleaved(steps, b.cfg.Duration/3, inProcessSlice)
	}}
	for _, step := range steps {
		unit := UnitExecutions
		if step == stepDecode {
			unit = UnitDecodes
		}
		t.ms = append(t.ms, b.newMeasurement(SectionCost, Row{Key: "inproc/" + step, Label: inProcessLabels[step], Tree: "current",
			Engine: "in process, 1 P", Workers: 1, Unit: unit, Schedules: 1}))
	}
	b.tasks = append(b.tasks, t)
}

// inProcessSlice is how long an in-process measurement runs before the next one's turn.
const inProcessSlice = 250 * time.Millisecond

func (b *bench) addCovLoop() {
	row := Row{Key: "inproc/" + stepControlledCv, Label: inProcessLabels[stepControlledCv], Tree: "current",
		Engine: "go test -bench -cpu 1", Workers: 1, Unit: UnitExecutions, Schedules: 1}
	b.add(SectionCost, row, func(ctx context.Context, round int) (rate, error) {
		return b.covLoop(ctx, b.cfg.Duration/3)
	})
}

func (b *bench) addSeedMix() {
	row := Row{Key: "gofuzz/seedmix/1", Label: inProcessLabels[stepSeedMix], Tree: "current",
		Engine: "go test -fuzz", Workers: 1, Unit: UnitInputs, Schedules: 1}
	b.add(SectionCost, row, func(ctx context.Context, round int) (rate, error) {
		return b.goFuzz(ctx, b.bins["covloop"], "", "FuzzSeedMix", 1, fmt.Sprintf("seedmix-%d", round))
	})
}

// measure runs the rounds.
func (b *bench) measure(ctx context.Context) error {
	for r := 0; r < b.cfg.Rounds; r++ {
		order := slices.Clone(b.tasks)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, t := range order {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("interrupted in round %d: %w", r+1, err)
			}
			if t.ms[0].err != nil {
				continue
			}
			xs, err := t.run(ctx, r)
			if err == nil && len(xs) != len(t.ms) {
				err = fmt.Errorf("%d rates for %d measurements", len(xs), len(t.ms))
			}
			if err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("interrupted in round %d: %w", r+1, ctx.Err())
				}
				for _, m := range t.ms {
					m.err = err
					fmt.Fprintf(b.log, "round %d/%d  %-62s %-7s FAILED: %v\n", r+1, b.cfg.Rounds, m.row.Label, m.row.Tree, firstLine(err.Error()))
				}
				continue
			}
			for i, m := range t.ms {
				m.rates = append(m.rates, xs[i])
				fmt.Fprintf(b.log, "round %d/%d  %-62s %-7s %2d worker(s)  %s %s/s, %s per CPU-s\n", r+1, b.cfg.Rounds, m.row.Label, m.row.Tree,
					m.row.Workers, thousands(xs[i].Wall), m.row.Unit, thousands(xs[i].CPU))
			}
		}
	}
	var failed []string
	for _, m := range b.ms {
		if m.err != nil {
			failed = append(failed, fmt.Sprintf("%s (%s): %v", m.row.Label, m.row.Tree, m.err))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d measurement(s) failed:\n%s", len(failed), strings.Join(failed, "\n"))
	}
	return nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
