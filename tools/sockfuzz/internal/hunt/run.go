package hunt

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/repro/corpusfile"
	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/fuzzexit"
)

// Config is one hunt.
type Config struct {
	// Faults are the catalog names to hunt, in order.
	Faults []string
	// Strategies to run, in order, and the trials of each.
	Strategies []string
	Trials     map[string]int
	// Cap bounds each trial.
	Cap time.Duration
	// Jobs is the number of trials run at a time.
	Jobs int
	// FuzzTarget is the fuzz target (its profile for stress and random).
	FuzzTarget string
	// Target is the stack target the trials run on; "" is stack.DefaultTarget. The faults are
	// of its catalog.
	Target string
	// Results is the results file.
	Results string
	// WorkDir holds the built binaries and the trials' scratch directories.
	WorkDir string
	// Log receives one line per trial.
	Log io.Writer
	// BuildArgs are extra go test flags of the sockfuzz trials' fuzz test binary, as the main
	// job builds it (covbuild.Args).
	BuildArgs []string
	// BuildEnv and BuildTags are the environment entries and the -tags value of the go
	// commands that build the fuzz test binary and the stress worker: the hooked build's when
	// the tool is hooked (docs/netstack-design.md §2.4: the faults and controlled netstack
	// exist only there), none otherwise.
	BuildEnv  []string
	BuildTags string
}

// Plan returns the trials not yet recorded, interleaved (trial index, then fault, then
// strategy) so that a hunt stopped early still has every fault and strategy's first trials.
func Plan(cfg Config, done map[Key]bool) ([]Key, error) {
	var out []Key
	maxTrials := 0
	for _, s := range cfg.Strategies {
		maxTrials = max(maxTrials, cfg.Trials[s])
	}
	tgt, err := stack.Lookup(cfg.Target)
	if err != nil {
		return nil, err
	}
	for i := range maxTrials {
		for _, f := range cfg.Faults {
			if _, _, ok := stack.FaultByName(tgt, f); !ok {
				return nil, fmt.Errorf("unknown fault %q of target %s (sockfuzz faults -target %s lists them)", f, tgt.Name(), tgt.Name())
			}
			for _, s := range cfg.Strategies {
				k := Key{f, s, i, CapSeconds(cfg.Cap)}
				if i < cfg.Trials[s] && !done[k] {
					out = append(out, k)
				}
			}
		}
	}
	return out, nil
}

// Run runs the trials not yet in the results file, Jobs at a time, appending each result as
// it ends. It returns the number of trials run.
func Run(ctx context.Context, cfg Config) (int, error) {
	if cfg.Jobs < 1 {
		cfg.Jobs = 1
	}
	prev, err := ReadResults(cfg.Results)
	if err != nil {
		return 0, err
	}
	todo, err := Plan(cfg, Done(prev))
	if err != nil {
		return 0, err
	}
	if len(todo) == 0 {
		return 0, nil
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	r := &runner{cfg: cfg}
	if r.stack, err = stack.Lookup(cfg.Target); err != nil {
		return 0, err
	}
	if err := r.build(ctx, todo); err != nil {
		return 0, err
	}
	var (
		mu       sync.Mutex
		firstErr error
		ran      int
		wg       sync.WaitGroup
	)
	ch := make(chan Key)
	for range cfg.Jobs {
		wg.Go(func() {
			for k := range ch {
				res := r.trial(ctx, k)
				if ctx.Err() != nil {
					return // an interrupted trial is not a result
				}
				mu.Lock()
				if err := AppendResult(cfg.Results, res); err != nil && firstErr == nil {
					firstErr = err
				}
				ran++
				r.logf("%s", logLine(res))
				mu.Unlock()
			}
		})
	}
feed:
	for _, k := range todo {
		select {
		case ch <- k:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = fmt.Errorf("hunt interrupted: %w", ctx.Err())
	}
	return ran, firstErr
}

func logLine(r Result) string {
	switch {
	case r.Error != "":
		return fmt.Sprintf("%-32s %-8s #%d error: %s", r.Fault, r.Strategy, r.Trial, r.Error)
	case r.Found:
		return fmt.Sprintf("%-32s %-8s #%d found in %.2fs (%d execs): %s", r.Fault, r.Strategy, r.Trial, r.Seconds, r.Execs, r.Title)
	}
	return fmt.Sprintf("%-32s %-8s #%d not found in %.0fs (%d execs)", r.Fault, r.Strategy, r.Trial, r.Seconds, r.Execs)
}

// runner holds a hunt's built binaries. The fuzz test binary is built with -fuzz so that it
// carries the coverage instrumentation go test -fuzz would add.
type runner struct {
	cfg       Config
	stack     stack.Target // the trials' stack target
	fuzzBin   string       // the fuzz package's test binary
	stressBin string       // the stress worker, built with -race
	logMu     sync.Mutex
}

// logf writes a line to the log; the trials run concurrently.
func (r *runner) logf(format string, a ...any) {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	fmt.Fprintf(r.cfg.Log, format+"\n", a...)
}

// build compiles what the planned trials need, once for the hunt.
func (r *runner) build(ctx context.Context, todo []Key) error {
	need := map[string]bool{}
	for _, k := range todo {
		need[k.Strategy] = true
	}
	if err := os.MkdirAll(r.cfg.WorkDir, 0o755); err != nil {
		return fmt.Errorf("hunt work dir: %w", err)
	}
	if need[Sockfuzz] {
		r.fuzzBin = filepath.Join(r.cfg.WorkDir, "fuzz.test")
		args := append(append([]string{"-c", "-fuzz", "^" + r.cfg.FuzzTarget + "$"}, r.cfg.BuildArgs...), "-o", r.fuzzBin, "github.com/sockfuzz/sockfuzz/fuzz")
		if err := r.goBuild(ctx, "test", args...); err != nil {
			return err
		}
	}
	if need[Stress] {
		r.stressBin = filepath.Join(r.cfg.WorkDir, "stressworker")
		if err := r.goBuild(ctx, "build", "-race", "-o", r.stressBin, "github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/hunt/stressworker"); err != nil {
			return err
		}
	}
	return nil
}

// goBuild runs `go verb [-tags BuildTags] args...` with BuildEnv.
func (r *runner) goBuild(ctx context.Context, verb string, args ...string) error {
	if r.cfg.BuildTags != "" {
		args = append([]string{"-tags", r.cfg.BuildTags}, args...)
	}
	args = append([]string{verb}, args...)
	cmd := exec.CommandContext(ctx, "go", args...)
	if len(r.cfg.BuildEnv) > 0 {
		cmd.Env = append(os.Environ(), r.cfg.BuildEnv...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// trialSeed derives a trial's random seed from its key, so that a trial is reproducible and
// trials differ.
func trialSeed(k Key) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s/%d", k.Fault, k.Strategy, k.Trial)
	return h.Sum64()
}

// trial runs one trial and returns its result (an Error result when it could not run).
func (r *runner) trial(ctx context.Context, k Key) Result {
	res := Result{Fault: k.Fault, Strategy: k.Strategy, Trial: k.Trial, Cap: k.Cap, Target: r.cfg.FuzzTarget,
		Start: time.Now().UTC().Format(time.RFC3339)}
	if r.stack == nil {
		r.stack = stack.MustLookup(stack.DefaultTarget)
	}
	if n := r.stack.Name(); n != stack.DefaultTarget {
		res.Stack = n
	}
	f, bit, _ := stack.FaultByName(r.stack, k.Fault)
	info := faultInfo{f, bit}
	var err error
	switch k.Strategy {
	case Sockfuzz:
		err = r.sockfuzz(ctx, info, k, &res)
	case Stress:
		err = r.stress(ctx, info, k, &res)
	case Random:
		err = r.random(ctx, info, k, &res)
	default:
		err = fmt.Errorf("unknown strategy %q", k.Strategy)
	}
	if err != nil {
		res.Error = err.Error()
	}
	if res.Found && res.Seconds > k.Cap {
		// Exposed after the cap (a process's own deadline runs late): a miss, like any other.
		res.Found, res.Title, res.Oracle = false, "", ""
	}
	if !res.Found && res.Seconds > k.Cap {
		res.Seconds = k.Cap
	}
	return res
}

// random is strategy (c), in process: mutated seeds, a random schedule per execution,
// controlled mode, no coverage feedback.
func (r *runner) random(ctx context.Context, info faultInfo, k Key, res *Result) error {
	t, err := TargetByName(r.cfg.FuzzTarget)
	if err != nil {
		return err
	}
	start := time.Now()
	lr, err := Loop(LoopConfig{
		Decode: t.Decode, Seeds: fuzz.NewHarness(t).Seeds(), Target: r.cfg.Target, Faults: info.Bit, Oracle: info.Oracle,
		Mode: repro.Controlled, RandomSchedule: true, Seed: trialSeed(k),
		Deadline: start.Add(r.cfg.Cap), Done: ctx.Done(),
	})
	res.Seconds = time.Since(start).Seconds()
	res.Found, res.Execs, res.Title, res.Oracle, res.Other = lr.Found, lr.Execs, lr.Title, lr.Oracle, lr.Others
	return err
}

// line is one output line of a trial's process, with its time from the trial's start.
type line struct {
	at   time.Duration
	text string
}

// stream runs cmd and calls each for every output line (stdout and stderr merged) as it
// arrives, with its time since start. The command is killed at the deadline.
func stream(cmd *exec.Cmd, start time.Time, each func(line) bool) error {
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	ownGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
		stop := false
		for sc.Scan() {
			if !stop && !each(line{time.Since(start), sc.Text()}) {
				stop = true
				if cmd.Cancel != nil {
					_ = cmd.Cancel()
				} else {
					_ = cmd.Process.Kill()
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	err := cmd.Wait()
	pw.Close()
	<-done
	return err
}

// stress is strategy (b): the -race stress worker in its own process, free mode.
func (r *runner) stress(ctx context.Context, info faultInfo, k Key, res *Result) error {
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, r.cfg.Cap+10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, r.stressBin, "-faults", info.Name, "-oracle", info.Oracle,
		"-fuzz-target", r.cfg.FuzzTarget, "-target", r.stack.Name(), "-seed", strconv.FormatUint(trialSeed(k), 10), "-for", r.cfg.Cap.String())
	goRace := info.Oracle == "data-race"
	env := os.Environ()
	if goRace {
		// The -race runtime's report is this fault's exposure: stop at the first.
		env = append(env, "GORACE=halt_on_error=1")
	}
	cmd.Env = env
	out := stressOutput{goRace: goRace, oracle: info.Oracle, res: res}
	if pc, ok := r.stack.(interface {
		ClassifyPanic(string) (string, string, bool)
	}); ok {
		out.classify = pc.ClassifyPanic
	}
	err := stream(cmd, start, out.feed)
	if res.Found {
		return nil
	}
	res.Seconds = time.Since(start).Seconds()
	if err != nil && cctx.Err() == nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 66 {
			return nil // races of another fault's kind, reported in Other
		}
		return fmt.Errorf("stress worker: %w", err)
	}
	return nil
}

// execsRe matches go test -fuzz's status line, for its count of executions.
var execsRe = regexp.MustCompile(`^fuzz: elapsed: \S+, execs: (\d+)`)

// sockfuzz is strategy (a): the fuzz package's test binary with -test.fuzz, one worker, in a
// scratch directory (no testdata: the seeds are the target's f.Add corpus only) with its own
// fuzz cache. go test's output gives when a failure came and which input failed; the input is
// then run again in this process as the fuzz target ran it, for its reports (crashReports). A
// failure of another oracle is noted, its input removed, its titles made known (SOCKFUZZ_KNOWN,
// so that they pass from then on, as in a continuous run), and fuzzing resumed on the same
// cache for the rest of the cap. A seed that fails with another oracle is not removed but
// passes once its titles are known: with the fault on, a seed often reports the fault's bug
// through another oracle first (a data race on the queue the fault leaves unlocked), and that
// must not end the trial.
func (r *runner) sockfuzz(ctx context.Context, info faultInfo, k Key, res *Result) error {
	ft, err := TargetByName(r.cfg.FuzzTarget)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(r.cfg.WorkDir, "trial-*")
	if err != nil {
		return fmt.Errorf("trial dir: %w", err)
	}
	defer os.RemoveAll(dir)
	cache := filepath.Join(dir, "cache")
	start := time.Now()
	deadline := start.Add(r.cfg.Cap)
	var execsBefore int64
	abnormal := 0 // processes ended without a crash input before the cap
	seen := map[string]bool{}
	other := func(title string) {
		if !seen[title] {
			seen[title] = true
			res.Other = append(res.Other, title)
		}
	}
	knownFile := filepath.Join(dir, "known")
	var known []string
	addKnown := func(reports []oracle.Report) error {
		for _, rep := range reports {
			if !slices.Contains(known, rep.Title) {
				known = append(known, rep.Title)
			}
		}
		return os.WriteFile(knownFile, []byte(strings.Join(known, "\n")+"\n"), 0o644)
	}
	if err := os.WriteFile(knownFile, nil, 0o644); err != nil {
		return fmt.Errorf("known titles: %w", err)
	}
	for restarts := 0; ; restarts++ {
		left := time.Until(deadline)
		if left < time.Second || restarts > 50 {
			break
		}
		cctx, cancel := context.WithDeadline(ctx, deadline)
		cmd := exec.CommandContext(cctx, r.fuzzBin, "-test.run", "XXX", "-test.fuzz", "^"+r.cfg.FuzzTarget+"$",
			"-test.fuzztime", left.Round(time.Second).String(), "-test.parallel", "1",
			"-test.fuzzcachedir", cache, "-test.fuzzminimizetime", "0")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), fuzz.EnvFaults+"="+info.Name, fuzz.EnvMode+"=controlled", fuzz.EnvTarget+"="+r.stack.Name(),
			fuzz.EnvKnown+"="+knownFile)
		var out fuzzOutput
		ex := fuzzexit.New(r.cfg.FuzzTarget)
		werr := stream(cmd, start, func(l line) bool { out.feed(l); ex.Line(l.text); return true })
		stop := fuzzexit.NotStopped
		switch {
		case ctx.Err() != nil:
			stop = fuzzexit.StopInterrupt
		case cctx.Err() != nil:
			stop = fuzzexit.StopDeadline // the cap: killed at the trial's deadline, by design
		}
		cancel()
		ending := ex.End(fuzzexit.ExitOf(werr), stop)
		res.Execs = execsBefore + out.execs
		execsBefore = res.Execs
		switch ending.Kind {
		case fuzzexit.Deadline:
			// #75804 comes when the process's -fuzztime, the rest of the cap, is spent: the
			// trial ended as if cleanly.
			r.logf("%-32s %-8s #%d %s: %s; process counted as ended", k.Fault, k.Strategy, k.Trial, r.cfg.FuzzTarget, ending)
			fallthrough
		case fuzzexit.Clean, fuzzexit.Interrupted, fuzzexit.Overran:
			res.Seconds = time.Since(start).Seconds()
			return nil
		case fuzzexit.Broken:
			return fmt.Errorf("go test -fuzz: %s\n%s", ending, strings.Join(out.tail, "\n"))
		case fuzzexit.Killed, fuzzexit.WorkerKilled, fuzzexit.WorkerHung:
			// No input was lost, and the cache is on disk: a new process goes on with the
			// trial's corpus for the time left. Processes that keep dying measure nothing:
			// an error, which a resume reruns.
			r.logf("%-32s %-8s #%d %s: %s; process counted as ended, %s of the cap left",
				k.Fault, k.Strategy, k.Trial, r.cfg.FuzzTarget, ending, time.Until(deadline).Round(time.Second))
			if abnormal++; abnormal == 5 {
				return fmt.Errorf("go test -fuzz ended %d times without a crash input before the cap; the last: %s", abnormal, ending)
			}
			continue
		}
		// A crash input: its reports, from running it here.
		written := ex.Written
		for i, w := range written {
			if !filepath.IsAbs(w) {
				written[i] = filepath.Join(dir, w)
			}
		}
		suppressed := false // a failing seed whose titles are now known
		for _, in := range crashInputs(ft, written, ex.SeedFailures, filepath.Join(cache, ft.Name)) {
			reports, failing, err := r.crashReports(ft, info, in)
			switch {
			case err != nil:
				other(fmt.Sprintf("crash input %s: %v", in.name, err))
				continue
			case len(reports) == 0:
				other(fmt.Sprintf("crash input %s does not reproduce here", in.name))
				continue
			}
			first := reports[0].Title
			for _, rep := range reports {
				if rep.Oracle != info.Oracle {
					continue
				}
				own, err := FaultsOwn(failing, repro.Options{Mode: repro.Controlled, StepBudget: fuzz.StepBudget}, info.Oracle)
				if err != nil {
					return err
				}
				if own {
					res.Found, res.Seconds, res.Title, res.Oracle = true, out.failAt.Seconds(), rep.Title, rep.Oracle
					return nil
				}
				first = rep.Title + " (with the fault off too)"
				break
			}
			other(first)
			if err := addKnown(reports); err != nil {
				return fmt.Errorf("known titles: %w", err)
			}
			suppressed = true
		}
		if len(written) == 0 && !suppressed {
			// A seed of the target's own corpus fails with another oracle: go test -fuzz
			// cannot get past it, so the trial is a miss, said so in Other.
			other("a seed fails with another oracle: fuzzing cannot start")
			res.Seconds = k.Cap
			return nil
		}
		for _, w := range written {
			if err := os.Remove(w); err != nil {
				return fmt.Errorf("remove the other oracle's input: %w", err)
			}
		}
	}
	res.Seconds = time.Since(start).Seconds()
	return nil
}

// crashInput is an input go test -fuzz reported failing: a file it wrote, or an entry of the
// target's corpus that failed before fuzzing.
type crashInput struct {
	name string // as go test names it
	data []byte
	err  error // why its bytes could not be had
}

// crashInputs reads the inputs go test reported: the files it wrote (written, absolute), and
// the corpus entries that failed before fuzzing (seed#N, an f.Add seed, or a file of the fuzz
// cache, cacheDir).
func crashInputs(t fuzz.Target, written, seedFailures []string, cacheDir string) []crashInput {
	var out []crashInput
	read := func(name, path string) crashInput {
		src, err := os.ReadFile(path)
		if err != nil {
			return crashInput{name: name, err: err}
		}
		data, err := corpusfile.UnmarshalGo(path, src)
		return crashInput{name: name, data: data, err: err}
	}
	for _, w := range written {
		out = append(out, read(filepath.Base(w), w))
	}
	for _, e := range seedFailures {
		if n, ok := strings.CutPrefix(e, "seed#"); ok {
			seeds := fuzz.HarnessFor(t).Seeds()
			i, err := strconv.Atoi(n)
			if err != nil || i < 0 || i >= len(seeds) {
				out = append(out, crashInput{name: e, err: fmt.Errorf("not one of the %d seeds", len(seeds))})
				continue
			}
			out = append(out, crashInput{name: e, data: seeds[i]})
			continue
		}
		out = append(out, read(e, filepath.Join(cacheDir, filepath.Base(e))))
	}
	return out
}

// crashReports runs a crash input as the fuzz target ran it in the trial (decoded with its
// profile, on the hunt's stack target with the trial's fault, controlled, under its own
// schedule and the derived ones: fuzz.Explore) and returns the reports of the execution that
// failed, none when every one was clean, and the program that replays it. The reports are the
// oracles' own values, where go test's output has only their printed text.
func (r *runner) crashReports(t fuzz.Target, info faultInfo, in crashInput) ([]oracle.Report, *repro.Program, error) {
	if in.err != nil {
		return nil, nil, in.err
	}
	n, err := fuzz.SchedulesFromEnv()
	if err != nil {
		return nil, nil, err
	}
	p := t.Decode(in.data)
	if name := r.stack.Name(); name != stack.DefaultTarget {
		p.Header.Target = name
	}
	opt := repro.Options{Faults: info.Bit, Mode: repro.Controlled, StepBudget: fuzz.StepBudget}
	x, err := fuzz.ExploreInput(p, in.data, n, opt, fuzz.IsSeed(t, in.data))
	if err != nil {
		return nil, nil, err
	}
	if o := x.Outcome; len(o.Reports) == 0 && o.Live != 0 {
		return nil, nil, fmt.Errorf("no report, %d threads alive after the execution", o.Live)
	}
	failing := *x.Program
	failing.Header.Faults = nil
	return x.Outcome.Reports, &failing, nil
}

// fuzzOutput follows go test -fuzz's output as it streams: when the failure came and how many
// executions were made. What failed is not read from it: the input is run again for that.
type fuzzOutput struct {
	failed bool
	failAt time.Duration // when the --- FAIL line came
	execs  int64         // the last status line's executions
	tail   []string      // the first lines, for an error message
}

func (o *fuzzOutput) feed(l line) {
	if len(o.tail) < 200 {
		o.tail = append(o.tail, l.text)
	}
	if m := execsRe.FindStringSubmatch(l.text); m != nil {
		o.execs, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if strings.HasPrefix(l.text, "--- FAIL") && !o.failed {
		o.failed, o.failAt = true, l.at
	}
}

// stressOutput parses the stress worker's output and the -race runtime's reports into a
// result as they stream.
type stressOutput struct {
	goRace bool   // a Go race report is the exposure (the fault's oracle is data-race)
	oracle string // the expected oracle
	res    *Result

	// classify names a panic's oracle and title, as the target's generic panic oracle does.
	classify oracle.PanicClassifier

	inRace   bool
	previous bool     // in the race's previous access
	frames   []string // the accesses' first frames
	raceAt   time.Duration
	seen     map[string]bool
}

// feed takes one line and reports whether to go on reading.
func (o *stressOutput) feed(l line) bool {
	text := strings.TrimSpace(l.text)
	f := strings.Fields(text)
	switch {
	case strings.Contains(text, "WARNING: DATA RACE"):
		o.inRace, o.raceAt, o.frames = true, l.at, nil
	case o.inRace && strings.HasPrefix(text, "Previous "):
		o.previous = true
	case o.inRace && (strings.HasPrefix(text, "github.com/") || strings.HasPrefix(text, "main.")):
		// The race is named by the first frame of each of its two accesses.
		if len(o.frames) == 1 && !o.previous {
			return true
		}
		fn := text
		if i := strings.LastIndexByte(fn, '('); i > 0 {
			fn = fn[:i]
		}
		o.frames = append(o.frames, strings.TrimPrefix(fn, "github.com/sockfuzz/sockfuzz/"))
		if len(o.frames) < 2 {
			return true
		}
		title := "go -race: DATA RACE " + o.frames[0] + " vs " + o.frames[1]
		o.inRace, o.previous = false, false
		if o.goRace {
			o.res.Found, o.res.Seconds, o.res.Title, o.res.Oracle = true, o.raceAt.Seconds(), title, "data-race"
			return false
		}
		o.other(title)
	case len(f) == 2 && (f[0] == "progress" || f[0] == "done"):
		o.res.Execs, _ = strconv.ParseInt(f[1], 10, 64)
	case strings.HasPrefix(text, "panic: ") && !o.inRace:
		// An unrecovered panic, on a goroutine of the stack's own (gVisor's TCP processor) the
		// executor cannot recover: the worker dies with it, and the panic is the report. It is
		// titled as the generic panic oracle titles it; the fault-off check cannot run on it.
		value := strings.TrimPrefix(text, "panic: ")
		if i := strings.Index(value, " [recovered]"); i >= 0 {
			value = value[:i]
		}
		c := oracle.Crashes{Classify: o.classify}
		or, title := c.PanicTitle(value)
		if or == o.oracle {
			o.res.Found, o.res.Seconds, o.res.Title, o.res.Oracle = true, l.at.Seconds(), title, or
			return false
		}
		o.other(title)
	case len(f) >= 3 && f[0] == "other":
		_, title, _ := strings.Cut(text, "\t")
		o.other(title)
	case len(f) >= 3 && f[0] == "found":
		o.res.Execs, _ = strconv.ParseInt(f[1], 10, 64)
		_, title, _ := strings.Cut(text, "\t")
		o.res.Found, o.res.Seconds, o.res.Title, o.res.Oracle = true, l.at.Seconds(), title, o.oracle
		return false
	}
	return true
}

func (o *stressOutput) other(title string) {
	if o.seen == nil {
		o.seen = map[string]bool{}
	}
	if !o.seen[title] {
		o.seen[title] = true
		o.res.Other = append(o.res.Other, title)
	}
}

// faultInfo is a fault of the catalog and its bit.
type faultInfo struct {
	stack.Fault
	Bit stack.FaultSet
}
