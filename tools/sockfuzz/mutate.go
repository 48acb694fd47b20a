package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/stack/netstack/launch"
	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/covbuild"
	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/mutate"
	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/runner"
)

// mutateSources are, per stack target, the source a mutation run changes and the regression
// suite it runs. The bsd model's files leave out the fault catalog, whose code runs only with a
// fault on, the observer hook the oracles read, and the name tables.
var mutateSources = map[string]struct {
	dir     string   // under the module root; netstack's is under the hooked copy of gVisor
	exclude []string // file name patterns (filepath.Match) left out
	suite   []string
}{
	"bsd": {dir: "stack/bsd", exclude: []string{"doc.go", "faults.go", "names.go", "observe.go", "vocab.go"},
		suite: []string{"./stack/bsd/...", "./corpus/...", "./repro/...", "./fuzz/..."}},
	// gVisor's TCP package without its generated code (lock wrappers, lists, save/restore
	// tables) and without sockfuzz's own files.
	"netstack": {dir: "gvisor/pkg/tcpip/transport/tcp", exclude: []string{"*_mutex.go", "*_autogen.go", "*_state.go",
		"sockfuzz_*.go", "tcp_endpoint_list.go", "tcp_segment_list.go", "tcp_segment_refs.go"},
		suite: []string{"./stack/netstack/...", "./corpus/...", "./fuzz/..."}},
}

// mutateSkip are the tests a mutation run's suite leaves out: the trace-hash goldens, which
// pin every event of the seeds' executions and so fail on any change to the events, a bug or
// not; the suite is the behavioural tests.
const mutateSkip = "TraceHashes"

// mutateCmd is `sockfuzz mutate`: mutants of a target's source through its regression suite,
// then each survivor fuzzed for a budget; results appended to a file as each stage ends (a
// rerun goes on where it stopped), then the report rebuilt from that file.
func mutateCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mutate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tname := targetFlag(fs)
	ops := fs.String("ops", "", "operators, comma-separated (default all: "+strings.Join(mutate.OperatorNames(), ", ")+")")
	list := fs.Bool("list", false, "only list the mutants")
	sample := fs.Int("sample", 0, "run a sample of this many mutants, the same for the same -seed (0: all)")
	seed := fs.Uint64("seed", 1, "seed of the sample")
	results := fs.String("results", "docs/mutation-results.jsonl", "results file, one JSON line per mutant and stage")
	report := fs.String("report", "", "report file (Markdown) rebuilt from the results at the end; empty: none")
	reportOnly := fs.Bool("report-only", false, "only rebuild the report from the results file")
	suiteTimeout := fs.Duration("suite-timeout", 5*time.Minute, "time limit of one regression suite run")
	budget := fs.Duration("budget", 5*time.Minute, "fuzzing time of each survivor (0: no fuzzing)")
	workDir := fs.String("workdir", ".sockfuzz/mutate", "directory for the mutated files and the fuzzing runs")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "sockfuzz mutate: "+format+"\n", a...)
		return code
	}
	if fs.NArg() > 0 {
		return fail(2, "unexpected argument %q", fs.Arg(0))
	}
	if *sample < 0 || *suiteTimeout <= 0 || *budget < 0 {
		return fail(2, "-sample %d, -suite-timeout %v, -budget %v: want a sample of 0 or more, a positive time limit and a budget of 0 or more", *sample, *suiteTimeout, *budget)
	}
	tgt, err := lookupTarget(*tname)
	if err != nil {
		return fail(2, "%v", err)
	}
	src, ok := mutateSources[tgt.Name()]
	if !ok {
		return fail(2, "-target %s: no mutation source for this target", tgt.Name())
	}
	modroot, err := launch.ModRoot()
	if err != nil {
		return fail(1, "%v (run sockfuzz inside its repository)", err)
	}
	dir := filepath.Join(modroot, src.dir)
	env, tags, gcflags, err := testBuild()
	if err != nil {
		return fail(1, "%v", err)
	}
	if tgt.Name() == "netstack" {
		b, err := launch.Ensure(modroot)
		if err != nil {
			return fail(1, "%v", err)
		}
		dir = filepath.Join(b.Dir, src.dir)
	}
	files, err := mutationFiles(dir, src.exclude)
	if err != nil {
		return fail(1, "%v", err)
	}
	var opList []string
	if s := strings.TrimSpace(*ops); s != "" {
		opList = strings.Split(s, ",")
	}
	ms, err := mutate.Generate(files, opList)
	if err != nil {
		return fail(2, "%v", err)
	}
	ms = sampleMutants(ms, *sample, *seed)
	for i := range ms {
		if rel, err := filepath.Rel(modroot, ms[i].File); err == nil && !strings.HasPrefix(rel, "..") {
			ms[i].File = rel
		}
	}
	head := mutate.Header{Target: tgt.Name(), Generated: len(ms), Command: mutateCommand(tgt.Name(), *results, *report, *budget)}
	if *reportOnly {
		return writeMutationReport(head, *results, *report, *budget, stderr)
	}
	if *list {
		for _, m := range ms {
			fmt.Fprintf(stdout, "%-44s %s\n", m.ID, m.Desc)
		}
		fmt.Fprintf(stdout, "%d mutants of %d files in %s\n", len(ms), len(files), dir)
		return 0
	}
	covArgs, err := covbuild.SelfArgs()
	if err != nil {
		return fail(1, "%v", err)
	}
	var targets []string
	for _, t := range fuzz.TargetsOn(tgt.Name()) {
		targets = append(targets, t.Name)
	}
	cfg := mutate.Config{Mutants: ms, Results: *results, SuitePkgs: src.suite, SuiteSkip: mutateSkip, ModRoot: modroot, SuiteTimeout: *suiteTimeout,
		BuildEnv: env, BuildTags: tags, WorkDir: *workDir, Budget: *budget, Out: stdout}
	cfg.Fuzz = func(ctx context.Context, m mutate.Mutant, overlay string, budget time.Duration) (bool, float64, string, error) {
		wd := filepath.Join(*workDir, "fuzz", strings.NewReplacer("/", "_", ":", "_").Replace(m.ID))
		if err := os.RemoveAll(wd); err != nil {
			return false, 0, "", err
		}
		rc := runner.Config{Targets: targets, Duration: budget, Jobs: 1, Target: tgt.Name(), WorkDir: wd,
			StoreDir: filepath.Join(wd, "store"), BuildEnv: env, BuildTags: tags,
			BuildArgs: append(append(slices.Clone(covArgs), gcflags...), "-overlay", overlay)}
		return fuzzUntilKill(ctx, rc, func(ctx context.Context, rc runner.Config) error {
			_, err := runner.Run(ctx, rc)
			return err
		})
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runErr := mutate.Run(ctx, cfg)
	if *report != "" {
		if code := writeMutationReport(head, *results, *report, *budget, stderr); code != 0 {
			return code
		}
	}
	if runErr != nil {
		return fail(1, "%v", runErr)
	}
	return 0
}

// killLine is what the runner says of a crash input that fails only in the mutated build: its
// replay in this process, on the source as it is, reports nothing.
const killLine = "does not reproduce in a controlled replay"

// fuzzUntilKill runs the fuzz targets on the mutated build until a crash input that the
// unmutated source does not reproduce (the mutant killed) or the budget; the time counts from
// the end of the build. A crasher that reproduces on the unmutated source is the stack's own
// bug (gVisor's, for netstack), not the mutant's: it does not kill.
func fuzzUntilKill(ctx context.Context, rc runner.Config, run func(context.Context, runner.Config) error) (bool, float64, string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	rc.Out = pw
	var (
		mu      sync.Mutex
		start   time.Time
		killed  bool
		secs    float64
		title   string
		scanned = make(chan struct{})
	)
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			l := sc.Text()
			mu.Lock()
			switch {
			case strings.HasPrefix(l, "built in "):
				start = time.Now()
			case !killed && strings.Contains(l, killLine):
				killed, secs, title = true, time.Since(start).Seconds(), l
				cancel()
			}
			mu.Unlock()
		}
	}()
	err := run(ctx, rc)
	pw.Close()
	<-scanned
	mu.Lock()
	defer mu.Unlock()
	if killed {
		return true, secs, title, nil
	}
	if err != nil {
		return false, 0, "", err
	}
	return false, rc.Duration.Seconds(), "", nil
}

// mutationFiles lists the Go files of dir a mutation run changes: not tests, none whose name
// an exclude pattern matches.
func mutationFiles(dir string, exclude []string) ([]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		base := filepath.Base(n)
		if strings.HasSuffix(base, "_test.go") || slices.ContainsFunc(exclude, func(p string) bool {
			ok, _ := filepath.Match(p, base)
			return ok
		}) {
			continue
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no Go source in %s", dir)
	}
	return out, nil
}

// sampleMutants keeps n of the mutants (all when n is 0 or more than there are), chosen by a
// hash of their IDs and the seed, in their original order: the same sample for the same seed
// whatever else changed.
func sampleMutants(ms []mutate.Mutant, n int, seed uint64) []mutate.Mutant {
	if n == 0 || n >= len(ms) {
		return ms
	}
	type keyed struct {
		h uint64
		i int
	}
	ks := make([]keyed, len(ms))
	for i, m := range ms {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%s", seed, m.ID)
		ks[i] = keyed{h.Sum64(), i}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if a.h != b.h {
			if a.h < b.h {
				return -1
			}
			return 1
		}
		return a.i - b.i
	})
	idx := make([]int, n)
	for i := range idx {
		idx[i] = ks[i].i
	}
	slices.Sort(idx)
	out := make([]mutate.Mutant, n)
	for i, j := range idx {
		out[i] = ms[j]
	}
	return out
}

// mutateCommand is the command line that resumes a run and rebuilds its report.
func mutateCommand(target, results, report string, budget time.Duration) string {
	return fmt.Sprintf("go run ./tools/sockfuzz mutate -target %s -budget %s -results %s -report %s", target, budget, results, report)
}

// writeMutationReport rebuilds the report from the results file, atomically.
func writeMutationReport(head mutate.Header, results, report string, budget time.Duration, stderr io.Writer) int {
	if report == "" {
		fmt.Fprintln(stderr, "sockfuzz mutate: -report-only needs -report")
		return 2
	}
	rs, order, err := mutate.ReadResults(results)
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz mutate: %v\n", err)
		return 1
	}
	var b strings.Builder
	mutate.Report(&b, head, rs, order, budget.String())
	tmp := report + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		fmt.Fprintf(stderr, "sockfuzz mutate: %v\n", err)
		return 1
	}
	if err := os.Rename(tmp, report); err != nil {
		fmt.Fprintf(stderr, "sockfuzz mutate: %v\n", err)
		return 1
	}
	return 0
}
