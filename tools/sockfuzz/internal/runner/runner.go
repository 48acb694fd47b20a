// Package runner is `sockfuzz fuzz`, the continuous runner: it cycles over the fuzz targets in
// rounds, each round one `go test -fuzz` process of a test binary built once, and after each
// round turns the crash inputs go test wrote into minimized crashers in the crash store.
//
// Everything it keeps lives in the work directory, laid out so that a SIGKILL at any point
// loses nothing:
//
//	bin/fuzz.test                 the fuzz test binary (rebuilt at every start; go caches it)
//	cache/FuzzX/                  the generated corpus (-test.fuzzcachedir), grown by every round
//	run/testdata/fuzz/FuzzX/      the rounds' working directory: the package's seed files, and
//	                              the crash inputs go test writes there
//	crashers/pending/FuzzX/       crash inputs moved (renamed) out of run/ before processing
//	crashers/done/FuzzX/          inputs processed: stored, or of a title already stored
//	crashers/unreproduced/FuzzX/  inputs whose replay reported nothing
//	crashers/text/FuzzX/          FuzzReproText failures (parser bugs, not stack crashers)
//	known.txt                     the store's titles, which the targets skip (SOCKFUZZ_KNOWN)
//
// Processing a pending input is idempotent: a title already in the store is not added again,
// so an input processed just before a kill, and processed again after, changes nothing.
package runner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/repro/corpusfile"
	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/fuzzexit"
)

// FuzzPackage is the import path of the package holding the fuzz targets.
const FuzzPackage = "github.com/sockfuzz/sockfuzz/fuzz"

// TextTarget is the fuzz target whose inputs are program text.
const TextTarget = "FuzzReproText"

// byteTargets are the targets whose inputs decode with a profile of the byte codec.
var byteTargets = fuzz.ByteTargets()

// AllTargets lists every fuzz target of fuzz/fuzz_test.go, in the order the runner cycles.
func AllTargets() []string {
	var names []string
	for _, t := range byteTargets {
		names = append(names, t.Name)
	}
	return append(names, TextTarget)
}

// Config is one run's settings.
type Config struct {
	Targets  []string      // fuzz targets to cycle over; empty means AllTargets
	Duration time.Duration // total wall time
	Round    time.Duration // one round's fuzzing time; 0 picks Duration/len(Targets) within [10s, 1m]
	Jobs     int           // fuzzing workers of a round (-test.parallel)
	Faults   []string      // SOCKFUZZ_FAULTS of the rounds and the faults of stored programs
	// Target is the stack target (SOCKFUZZ_TARGET of the rounds; the target line of stored
	// programs when it is not the default); "" is stack.DefaultTarget.
	Target   string
	WorkDir  string
	StoreDir string
	Status   time.Duration // the status line's period; 0 means 3s
	Out      io.Writer     // status lines, findings and the summary
	// LibFuzzer, when set, is a directory of libFuzzer crash inputs to process at the start:
	// LibFuzzer/FuzzX/crash-* for each target (as the OSS-Fuzz binaries write them, run with
	// -artifact_prefix=DIR/FuzzX/). The files are read, not moved; an input already processed
	// is skipped.
	LibFuzzer string
	// BuildArgs are extra go test flags of the fuzz test binary's build (covbuild.Args: the
	// substrate left uninstrumented).
	BuildArgs []string
	// BuildEnv and BuildTags are the environment entries and the -tags value of the go
	// commands that build and find the fuzz test binary's package: the hooked build's when the
	// tool is hooked (docs/netstack-design.md §2.4), none otherwise.
	BuildEnv  []string
	BuildTags string

	// The tests' seams. fake, when set, is run in place of the fuzz test binary, which is then
	// not built; maxRounds, when positive, ends the run after that many rounds; grace, when
	// positive, replaces the two minutes a round's process gets past its fuzzing time.
	fake      string
	maxRounds int
	grace     time.Duration
}

// Stats is what the run did for one target.
type Stats struct {
	Target string
	Rounds int
	Fuzzed time.Duration
	// Inputs is go test -fuzz's own count (its "execs:"), one per input run. Execs counts
	// executions, one schedule of one input: each input runs under up to Schedules of them
	// (it stops at the first that fails), so Execs is Inputs*Schedules, an upper bound.
	Inputs       int64
	Execs        int64
	Schedules    int // schedules per input; 0 for the text target, which executes nothing
	Corpus       int // inputs in the cache directory at the end
	New          int // new titles stored
	Known        int // crash inputs of titles already stored
	Unreproduced int // crash inputs whose replay reported nothing
	Text         int // FuzzReproText failures kept
	// Rounds that ended without a crash input in a way other than their time running out,
	// counted as ended (package fuzzexit tells them apart).
	Deadline int // golang/go#75804: go test's own "context deadline exceeded" at the end
	Killed   int // the process or a worker killed by a signal, most likely the OOM killer
	Hung     int // a worker that hung or died between inputs
	Overran  int // the process still running past the round and its grace, stopped
}

// Result is a whole run's outcome.
type Result struct {
	Stats  []*Stats
	Stored []string // the files of new crashers, "file: title"
}

// Found reports whether the run stored a new crasher or kept a text-target failure.
func (r *Result) Found() bool {
	for _, s := range r.Stats {
		if s.New > 0 || s.Text > 0 {
			return true
		}
	}
	return false
}

// runner is one run's state.
type runner struct {
	cfg     Config
	store   *repro.Store
	bin     string
	pkgDir  string
	start   time.Time
	stats   map[string]*Stats // by target; looked up, never iterated
	res     *Result
	targets map[string]fuzz.Target // the byte targets, by name
	nsched  int                    // schedules per input, as the rounds run them (fuzz.EnvSchedules)
	jobs    map[string]int         // workers of the target's next round: Jobs, halved after OOM kills
}

// Run runs the fuzzer until the duration is spent or ctx is cancelled, and returns what it did.
// An error means the run could not go on (the binary did not build, a round's process could not
// fuzz, a directory is not writable); the result then holds what was done until then. A round
// that ends without a crash input in one of the ways of package fuzzexit that are not a broken
// binary (golang/go#75804, a kill, a hung worker, an overrun) is logged, counted and ended.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	r, err := newRunner(cfg)
	if err != nil {
		return nil, err
	}
	cfg = r.cfg
	if err := r.build(ctx); err != nil {
		return r.res, err
	}
	// A previous run killed mid-round may have left crash inputs in run/ or pending/.
	for _, name := range cfg.Targets {
		if err := r.importLibFuzzer(name); err != nil {
			return r.res, err
		}
		if err := r.collect(name); err != nil {
			return r.res, err
		}
		if err := r.processPending(name); err != nil {
			return r.res, err
		}
	}
	// A round that a crash ends early is continued, for the time it had left, once the crash
	// is stored and suppressed: go test stops at the first crash. A round that ends early
	// without a crash input (a kill, a hung worker) is not: the next target's turn comes.
	for i, n, owed := 0, 0, time.Duration(0); ctx.Err() == nil; n++ {
		if cfg.maxRounds > 0 && n == cfg.maxRounds {
			break
		}
		left := cfg.Duration - time.Since(r.start)
		if left < 2*time.Second {
			break
		}
		name := cfg.Targets[i%len(cfg.Targets)]
		d := cfg.Round
		if owed > 0 {
			d = owed
		}
		d = min(d, left)
		started := time.Now()
		ended, err := r.round(ctx, name, d)
		if err != nil {
			r.finish()
			return r.res, err
		}
		if owed = d - time.Since(started); ended || owed < 3*time.Second {
			owed = 0
			i++
		}
	}
	r.finish()
	return r.res, nil
}

// newRunner checks the configuration, fills in its defaults, opens the store and makes the work
// directory.
func newRunner(cfg Config) (*runner, error) {
	if len(cfg.Targets) == 0 {
		cfg.Targets = AllTargets()
	}
	if cfg.Status <= 0 {
		cfg.Status = 3 * time.Second
	}
	if cfg.Round <= 0 {
		cfg.Round = min(max(cfg.Duration/time.Duration(len(cfg.Targets)), 10*time.Second), time.Minute)
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	r := &runner{cfg: cfg, start: time.Now(), stats: map[string]*Stats{}, res: &Result{},
		targets: map[string]fuzz.Target{}, jobs: map[string]int{}}
	for _, t := range byteTargets {
		r.targets[t.Name] = t
	}
	for _, name := range cfg.Targets {
		if _, ok := r.targets[name]; !ok && name != TextTarget {
			return nil, fmt.Errorf("unknown fuzz target %q: want one of %s", name, strings.Join(AllTargets(), ", "))
		}
		s := &Stats{Target: name}
		r.stats[name] = s
		r.jobs[name] = max(cfg.Jobs, 1)
		r.res.Stats = append(r.res.Stats, s)
	}
	var err error
	if r.cfg.Target, err = fuzz.StackTarget(cfg.Target); err != nil {
		return nil, err
	}
	if _, err := repro.FaultSet(r.cfg.Target, cfg.Faults); err != nil {
		return nil, err
	}
	if r.nsched, err = fuzz.SchedulesFromEnv(); err != nil {
		return nil, err
	}
	for _, st := range r.res.Stats {
		if st.Target != TextTarget {
			st.Schedules = r.nsched
		}
	}
	if r.store, err = repro.OpenStore(cfg.StoreDir); err != nil {
		return nil, err
	}
	for _, d := range []string{"bin", "cache", "run"} {
		if err := os.MkdirAll(filepath.Join(cfg.WorkDir, d), 0o755); err != nil {
			return nil, fmt.Errorf("work dir: %w", err)
		}
	}
	return r, nil
}

// finish counts the corpora for the summary.
func (r *runner) finish() {
	for _, s := range r.res.Stats {
		s.Corpus = r.corpusSize(s.Target)
	}
}

// build compiles the fuzz test binary, with -fuzz so that it carries the coverage
// instrumentation that guides fuzzing (without it go test warns and fuzzes blind), and finds the package's directory (its seed files).
func (r *runner) build(ctx context.Context) error {
	out, err := r.goCmd(ctx, "list", "-f", "{{.Dir}}", FuzzPackage).CombinedOutput()
	if err != nil {
		return fmt.Errorf("go list %s (run sockfuzz fuzz inside the sockfuzz module): %w\n%s", FuzzPackage, err, out)
	}
	r.pkgDir = strings.TrimSpace(string(out))
	if r.cfg.fake != "" {
		r.bin = r.cfg.fake
		return nil
	}
	bin, err := filepath.Abs(filepath.Join(r.cfg.WorkDir, "bin", "fuzz.test"))
	if err != nil {
		return err
	}
	args := append(append([]string{"-c", "-fuzz", "."}, r.cfg.BuildArgs...), "-o", bin, FuzzPackage)
	// On a fresh build cache this compiles every dependency with coverage counters, gVisor's
	// included: minutes on a loaded machine. Say so, so that a silent start is not taken for
	// a hang.
	fmt.Fprintf(r.cfg.Out, "building the fuzz test binary (%s)\n", FuzzPackage)
	start := time.Now()
	if out, err := r.goCmd(ctx, "test", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("go test %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	fmt.Fprintf(r.cfg.Out, "built in %s\n", time.Since(start).Round(100*time.Millisecond))
	r.bin = bin
	return nil
}

// goCmd is a go command of the fuzz test binary's build: `go verb [-tags BuildTags] args...`
// with BuildEnv.
func (r *runner) goCmd(ctx context.Context, verb string, args ...string) *exec.Cmd {
	if r.cfg.BuildTags != "" {
		args = append([]string{"-tags", r.cfg.BuildTags}, args...)
	}
	cmd := exec.CommandContext(ctx, "go", append([]string{verb}, args...)...)
	if len(r.cfg.BuildEnv) > 0 {
		cmd.Env = append(os.Environ(), r.cfg.BuildEnv...)
	}
	return cmd
}

func (r *runner) dir(parts ...string) string {
	return filepath.Join(append([]string{r.cfg.WorkDir}, parts...)...)
}

// progressRE matches go test's progress line.
var progressRE = regexp.MustCompile(`^fuzz: elapsed: [^,]+, execs: (\d+) \((\d+)/sec\),? ?(?:new interesting: \d+ \(total: (\d+)\))?`)

// round runs one go test -fuzz process for a target, then processes its crash inputs. It
// reports whether the round is to count as ended however much of its time is left: it ended
// without a crash input in a way that continuing at once would not help.
func (r *runner) round(ctx context.Context, name string, d time.Duration) (ended bool, err error) {
	st := r.stats[name]
	st.Rounds++
	known, err := r.writeKnown()
	if err != nil {
		return false, err
	}
	if err := r.prepare(name); err != nil {
		return false, err
	}
	jobs := r.jobs[name]
	fmt.Fprintf(r.cfg.Out, "round %d of %s: %s, %d jobs, faults %s\n", st.Rounds, name, d.Round(time.Second), jobs, faultsText(r.cfg.Faults))
	// The process gets the round's time, its start-up and the seeds' run, and a grace period
	// after an interrupt before it is killed.
	grace := r.cfg.grace
	if grace <= 0 {
		grace = 2 * time.Minute
	}
	rctx, cancel := context.WithTimeout(ctx, d+grace)
	defer cancel()
	cmd := exec.CommandContext(rctx, r.bin,
		"-test.run", "^$",
		"-test.fuzz", "^"+name+"$",
		"-test.fuzztime", d.String(),
		"-test.fuzzminimizetime", "0s", // the runner minimizes programs, not bytes
		"-test.parallel", strconv.Itoa(jobs),
		"-test.fuzzcachedir", absPath(r.dir("cache")),
	)
	cmd.Dir = r.dir("run")
	cmd.Env = append(os.Environ(), fuzz.EnvFaults+"="+strings.Join(r.cfg.Faults, ","), fuzz.EnvKnown+"="+known,
		fuzz.EnvTarget+"="+r.cfg.Target)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 15 * time.Second
	setDeathSignal(cmd)
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return false, err
	}
	cmd.Stderr = cmd.Stdout
	roundStart := time.Now()
	if err := cmd.Start(); err != nil {
		if ctx.Err() != nil {
			return false, nil // interrupted between the round's line and the start
		}
		return false, fmt.Errorf("%s: start the fuzzing process: %w", name, err)
	}
	var tail []string
	out := fuzzexit.New(name)
	var execs int64
	lastStatus := time.Now()
	sc := bufio.NewScanner(pipe)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if len(tail) == 40 {
			tail = tail[1:]
		}
		tail = append(tail, line)
		out.Line(line)
		if m := progressRE.FindStringSubmatch(line); m != nil {
			execs, _ = strconv.ParseInt(m[1], 10, 64)
			if time.Since(lastStatus) >= r.cfg.Status {
				lastStatus = time.Now()
				rate, _ := strconv.Atoi(m[2])
				corpus, _ := strconv.Atoi(m[3])
				fmt.Fprintf(r.cfg.Out, "%-19s elapsed %s/%s  round %s  inputs/s %d  execs/s %s  corpus %d  crashers new %d known %d\n",
					name, short(time.Since(r.start)), short(r.cfg.Duration), short(time.Since(roundStart)), rate, execRate(rate, st.Schedules), corpus, st.New, st.Known)
			}
		}
	}
	// A line past the scanner's limit stops it: drain the rest, or the process blocks on a
	// full pipe until the round's deadline.
	_, _ = io.Copy(io.Discard, pipe)
	werr := cmd.Wait()
	st.Fuzzed += time.Since(roundStart)
	st.Inputs += execs
	st.Execs = st.Inputs * int64(st.Schedules)
	stop := fuzzexit.NotStopped
	switch {
	case ctx.Err() != nil:
		stop = fuzzexit.StopInterrupt
	case rctx.Err() != nil:
		stop = fuzzexit.StopDeadline
	}
	ending := out.End(fuzzexit.ExitOf(werr), stop)
	for _, entry := range out.SeedFailures {
		if err := r.pendingEntry(name, entry); err != nil {
			return false, err
		}
	}
	if err := r.collect(name); err != nil {
		return false, err
	}
	crashes := r.countPending(name)
	// Whatever the ending, the inputs on disk are processed first: none is lost to an error.
	if err := r.processPending(name); err != nil {
		return false, err
	}
	switch ending.Kind {
	case fuzzexit.Clean, fuzzexit.Interrupted:
		return false, nil
	case fuzzexit.Crash:
		if crashes == 0 {
			// go test named an input the runner did not find: a crash would go unrecorded.
			return false, fmt.Errorf("%s: go test -fuzz reported a crash input (%s) that is not in %s\n%s",
				name, strings.Join(append(out.Written, out.SeedFailures...), ", "), r.dir("run", "testdata", "fuzz", name), strings.Join(tail, "\n"))
		}
		return false, nil
	case fuzzexit.Broken:
		// A binary that cannot fuzz fails every round the same way: stop and show why.
		return false, fmt.Errorf("%s: %s\n%s", name, ending, strings.Join(tail, "\n"))
	}
	// The rest lose nothing (the corpus and any input are files on disk) and a new process
	// starts clean: log, count, and go on with the next target.
	switch ending.Kind {
	case fuzzexit.Deadline:
		st.Deadline++
	case fuzzexit.Killed, fuzzexit.WorkerKilled:
		st.Killed++
	case fuzzexit.WorkerHung:
		st.Hung++
	case fuzzexit.Overran:
		st.Overran++
	}
	fmt.Fprintf(r.cfg.Out, "%s: %s; round counted as ended\n", name, ending)
	if ending.OutOfMemory() && jobs > 1 {
		// Each worker is a process with its own heap: fewer of them is the lever on memory.
		r.jobs[name] = jobs / 2
		fmt.Fprintf(r.cfg.Out, "%s: next rounds with %d jobs instead of %d\n", name, r.jobs[name], jobs)
	}
	return true, nil
}

// pendingEntry saves a corpus entry that failed before fuzzing (a seed of f.Add, a file of
// testdata or of the cache) as a pending crash input.
func (r *runner) pendingEntry(name, entry string) error {
	var data []byte
	if n, ok := strings.CutPrefix(entry, "seed#"); ok {
		i, err := strconv.Atoi(n)
		var seeds [][]byte
		if name == TextTarget {
			seeds = fuzz.TextSeeds()
		} else if t, ok := r.targets[name]; ok {
			seeds = fuzz.HarnessFor(t).Seeds()
		}
		if err != nil || i < 0 || i >= len(seeds) {
			return fmt.Errorf("%s: go test names seed %q, which the runner does not have (%d seeds)", name, entry, len(seeds))
		}
		data = seeds[i]
	} else {
		for _, dir := range []string{r.dir("run", "testdata", "fuzz", name), r.dir("cache", name)} {
			src, err := os.ReadFile(filepath.Join(dir, filepath.Base(entry)))
			if err != nil {
				continue
			}
			if data, err = corpusfile.UnmarshalGo(entry, src); err != nil {
				return err
			}
			break
		}
		if data == nil {
			return nil // a testdata file: collect moves it
		}
	}
	file := corpusfile.MarshalGo(data)
	dir := r.dir("crashers", "pending", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return corpusfile.WriteFile(filepath.Join(dir, corpusfile.GoName(file)), file, 0o644)
}

// importLibFuzzer turns the target's libFuzzer crash-* files into pending crash inputs, in the
// go test corpus form, skipping those already processed.
func (r *runner) importLibFuzzer(name string) error {
	if r.cfg.LibFuzzer == "" {
		return nil
	}
	files, err := filepath.Glob(filepath.Join(r.cfg.LibFuzzer, name, "crash-*"))
	if err != nil {
		return err
	}
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		// Every target takes one []byte: the libFuzzer form is a length, then the bytes.
		data, _, err := corpusfile.UnmarshalLibFuzzer(src)
		if err != nil {
			fmt.Fprintf(r.cfg.Out, "%s: %s: %v (skipped)\n", name, path, err)
			continue
		}
		file := corpusfile.MarshalGo(data)
		base := corpusfile.GoName(file)
		done := false
		for _, d := range []string{"done", "unreproduced", "text"} {
			if _, err := os.Stat(r.dir("crashers", d, name, base)); err == nil {
				done = true
			}
		}
		if done {
			continue
		}
		dir := r.dir("crashers", "pending", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := corpusfile.WriteFile(filepath.Join(dir, base), file, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(r.cfg.Out, "%s: imported %s\n", name, path)
	}
	return nil
}

// prepare gives the round's working directory the package's seed files for the target, and
// sets aside cache entries that do not read (a write cut by a kill), which would fail go test.
func (r *runner) prepare(name string) error {
	dst := r.dir("run", "testdata", "fuzz", name)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	seeds, err := os.ReadDir(filepath.Join(r.pkgDir, "testdata", "fuzz", name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range seeds {
		src, err := os.ReadFile(filepath.Join(r.pkgDir, "testdata", "fuzz", name, e.Name()))
		if err != nil {
			return err
		}
		if err := corpusfile.WriteFile(filepath.Join(dst, e.Name()), src, 0o644); err != nil {
			return err
		}
	}
	cache := r.dir("cache", name)
	entries, _ := os.ReadDir(cache)
	for _, e := range entries {
		path := filepath.Join(cache, e.Name())
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if _, err := corpusfile.UnmarshalGo(path, src); err != nil {
			bad := r.dir("bad-cache", name)
			if err := os.MkdirAll(bad, 0o755); err != nil {
				return err
			}
			fmt.Fprintf(r.cfg.Out, "%s: set aside a cache entry that does not read: %v\n", name, err)
			if err := os.Rename(path, filepath.Join(bad, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// collect moves the crash inputs go test wrote to the round's working directory (every file
// that is not one of the package's seed files) into pending/, by rename.
func (r *runner) collect(name string) error {
	src := r.dir("run", "testdata", "fuzz", name)
	entries, err := os.ReadDir(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	dst := r.dir("crashers", "pending", name)
	for _, e := range entries {
		path := filepath.Join(src, e.Name())
		if r.isSeedFile(name, path) {
			continue
		}
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		if err := os.Rename(path, filepath.Join(dst, e.Name())); err != nil {
			return fmt.Errorf("collect %s: %w", path, err)
		}
	}
	return nil
}

// isSeedFile reports whether path holds the same bytes as the package's seed file of its name.
func (r *runner) isSeedFile(name, path string) bool {
	seed, err := os.ReadFile(filepath.Join(r.pkgDir, "testdata", "fuzz", name, filepath.Base(path)))
	if err != nil {
		return false
	}
	got, err := os.ReadFile(path)
	return err == nil && bytes.Equal(seed, got)
}

func (r *runner) countPending(name string) int {
	entries, _ := os.ReadDir(r.dir("crashers", "pending", name))
	return len(entries)
}

func (r *runner) corpusSize(name string) int {
	entries, _ := os.ReadDir(r.dir("cache", name))
	return len(entries)
}

// writeKnown writes the store's titles to known.txt, atomically, and returns its absolute path.
func (r *runner) writeKnown() (string, error) {
	crashers, err := r.store.Load()
	if err != nil {
		fmt.Fprintf(r.cfg.Out, "crash store: %v (those files are skipped)\n", err)
	}
	var titles []string
	for _, c := range crashers {
		titles = append(titles, c.Title)
	}
	slices.Sort(titles)
	var b strings.Builder
	for _, t := range titles {
		b.WriteString(t + "\n")
	}
	path := absPath(r.dir("known.txt"))
	if err := repro.WriteFileAtomic(path, []byte(b.String()), 0o644); err != nil {
		return "", err
	}
	return path, nil
}

// processPending turns every pending crash input of a target into a stored crasher (or files
// it as known, unreproduced or a text failure). Inputs go in name order.
func (r *runner) processPending(name string) error {
	dir := r.dir("crashers", "pending", name)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		outcome, err := r.process(name, path)
		if err != nil {
			return err
		}
		to := r.dir("crashers", outcome, name)
		if err := os.MkdirAll(to, 0o755); err != nil {
			return err
		}
		if err := os.Rename(path, filepath.Join(to, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// process handles one crash input and returns the directory it goes to: done, unreproduced or
// text.
func (r *runner) process(name, path string) (string, error) {
	st := r.stats[name]
	src, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	data, err := corpusfile.UnmarshalGo(path, src)
	if err != nil {
		fmt.Fprintf(r.cfg.Out, "%s: %v\n", name, err)
		st.Unreproduced++
		return "unreproduced", nil
	}
	if name == TextTarget {
		if err := repro.CheckText(data); err != nil {
			st.Text++
			first, _, _ := strings.Cut(err.Error(), "\n")
			fmt.Fprintf(r.cfg.Out, "%s: text failure kept in %s: %s\n", name, r.dir("crashers", "text", name, filepath.Base(path)), first)
			return "text", nil
		}
		st.Unreproduced++
		return "unreproduced", nil
	}
	t := r.targets[name]
	p := t.Decode(data)
	p.Header.Mode = repro.Controlled
	if t.StackName() == stack.TargetName(r.cfg.Target) {
		// The faults are the run's target's: a fuzz target on another stack ran correct.
		p.Header.Faults = slices.Clone(r.cfg.Faults)
	}
	p.Comments = append([]string{fmt.Sprintf(" found by sockfuzz fuzz %s, input %s", name, filepath.Base(path))}, p.Comments...)
	// The target ran the input under its own schedule and derived ones, and a seed under the
	// sweep too: replay them the same way, and go on with the program under the schedule
	// that failed.
	x, err := fuzz.ExploreInput(p, data, r.nsched, repro.Options{StepBudget: fuzz.StepBudget}, fuzz.IsSeed(t, data))
	var out *repro.Outcome
	if err == nil {
		p, out = x.Program, x.Outcome
	}
	if err != nil || len(out.Reports) == 0 {
		why := "no report"
		if err != nil {
			why = err.Error()
		} else if out.Live != 0 {
			why = fmt.Sprintf("%d threads alive after the execution", out.Live)
		}
		fmt.Fprintf(r.cfg.Out, "%s: %s does not reproduce in a controlled replay (%s); kept in %s\n",
			name, filepath.Base(path), why, r.dir("crashers", "unreproduced", name))
		st.Unreproduced++
		return "unreproduced", nil
	}
	title := out.Reports[0].Title
	if c, err := r.store.Lookup(title); c != nil {
		st.Known++
		fmt.Fprintf(r.cfg.Out, "%s: known title %q (%s)\n", name, title, c.File)
		return "done", nil
	} else if err != nil {
		fmt.Fprintf(r.cfg.Out, "crash store: %v\n", err)
	}
	fmt.Fprintf(r.cfg.Out, "%s: new title %q from %s (%s); minimizing\n", name, title, filepath.Base(path), repro.Summary(p))
	m, err := repro.Minimize(p, repro.MinimizeOptions{Title: title, StepBudget: fuzz.StepBudget})
	if err != nil {
		fmt.Fprintf(r.cfg.Out, "%s: minimize %s: %v\n", name, filepath.Base(path), err)
		st.Unreproduced++
		return "unreproduced", nil
	}
	now := time.Now().UTC().Truncate(time.Second)
	c := &repro.Crasher{Title: m.Title, Oracle: m.Oracle, Reproduced: m.Reproduced, Replays: m.Replays,
		FirstFound: now, Seen: 1, FoundBy: "sockfuzz fuzz " + name, Program: m.Program}
	got, isNew, err := r.store.Add(c, now)
	if err != nil {
		return "", err
	}
	if isNew {
		st.New++
		r.res.Stored = append(r.res.Stored, got.File+": "+got.Title)
	} else {
		st.Known++
	}
	fmt.Fprintf(r.cfg.Out, "%s: stored %s: %s, reliability %s\n", name, got.File, repro.Summary(m.Program), m.Reliability())
	return "done", nil
}

// Summary writes the end-of-run table.
func (res *Result) Summary(w io.Writer) {
	fmt.Fprintf(w, "\n%-19s %6s %8s %10s %11s %7s %4s %6s %7s %5s %6s %6s %4s %7s\n", "target", "rounds", "fuzzed", "inputs", "execs", "corpus", "new", "known", "unrepro", "text",
		"#75804", "killed", "hung", "overran")
	for _, s := range res.Stats {
		execs := "-"
		if s.Schedules > 0 {
			execs = fmt.Sprintf("<=%d", s.Execs)
		}
		fmt.Fprintf(w, "%-19s %6d %8s %10d %11s %7d %4d %6d %7d %5d %6d %6d %4d %7d\n", s.Target, s.Rounds, short(s.Fuzzed), s.Inputs, execs, s.Corpus, s.New, s.Known, s.Unreproduced, s.Text,
			s.Deadline, s.Killed, s.Hung, s.Overran)
	}
	fmt.Fprintf(w, "inputs: go test -fuzz's count; execs: executions (one schedule of one input), at most inputs x schedules per input\n")
	for _, s := range res.Stored {
		fmt.Fprintf(w, "stored %s\n", s)
	}
}

func faultsText(f []string) string {
	if len(f) == 0 {
		return "off"
	}
	return strings.Join(f, ",")
}

// short prints a duration as m:ss.
func short(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// execRate is the executions per second of an input rate at n schedules per input, as an upper
// bound ("-" for the text target, which executes nothing).
func execRate(inputs, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("<=%d", inputs*n)
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
