package repro

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata/store", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseCrasher(t *testing.T) {
	c, err := ParseCrasher("good.prog", readFixture(t, "good.prog"))
	if err != nil {
		t.Fatal(err)
	}
	want := Crasher{
		Title: "use-after-soclose: access to freed socket in tcp_input", Oracle: "use-after-soclose",
		Reproduced: 100, Replays: 100, FirstFound: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
		Seen: 3, FoundBy: "sockfuzz fuzz FuzzSoclose", File: "good.prog",
		Notes: []string{" A free-form note: the close races the RST.", "   indented note"},
	}
	got := *c
	got.Program = nil
	if !got.FirstFound.Equal(want.FirstFound) {
		t.Errorf("first-found %v, want %v", got.FirstFound, want.FirstFound)
	}
	got.FirstFound = want.FirstFound
	if got.Title != want.Title || got.Oracle != want.Oracle || got.Reproduced != want.Reproduced ||
		got.Replays != want.Replays || got.Seen != want.Seen || got.FoundBy != want.FoundBy ||
		got.File != want.File || !slices.Equal(got.Notes, want.Notes) {
		t.Errorf("parsed\n%+v\nwant\n%+v", got, want)
	}
	if len(c.Program.Comments) != 0 || len(c.Program.Procs) != 1 || !slices.Equal(c.Program.Header.Faults, []string{"abort-twice"}) {
		t.Errorf("program:\n%s", c.Program)
	}
	// Text writes the file back as it was read.
	if text := string(c.Text()); text != string(readFixture(t, "good.prog")) {
		t.Errorf("Text differs from the file:\n%s", text)
	}
	if c2, err := ParseCrasher("again", c.Text()); err != nil || !c2.Program.Equal(c.Program) {
		t.Errorf("Text does not parse back: %v", err)
	}
	nf, err := ParseCrasher("no-faults.prog", readFixture(t, "no-faults.prog"))
	if err != nil || len(nf.Program.Header.Faults) != 0 || nf.Reliability() != "7/10 controlled replays" || nf.FoundBy != "" {
		t.Errorf("no-faults.prog: %v %+v", err, nf)
	}
}

// TestCrasherTarget checks the header's target line: written when the program names its target
// and read back; a crasher without one (every crasher stored before targets) means the default
// target, whether or not its program says so.
func TestCrasherTarget(t *testing.T) {
	tests := []struct {
		file, target string
		text         string // the fixture Text writes back; "" is the fixture itself
	}{
		{"with-target.prog", "bsd", ""},
		{"good.prog", "", ""},
		{"target-header-only.prog", "", "good.prog"},
	}
	for _, tc := range tests {
		c, err := ParseCrasher(tc.file, readFixture(t, tc.file))
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if c.Program.Header.Target != tc.target {
			t.Errorf("%s: program target %q, want %q", tc.file, c.Program.Header.Target, tc.target)
		}
		want := tc.text
		if want == "" {
			want = tc.file
		}
		if text := string(c.Text()); text != string(readFixture(t, want)) {
			t.Errorf("%s: Text differs from %s:\n%s", tc.file, want, text)
		}
	}
	// Add writes the key for a program that names its target.
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := newCrasher(t, "a title", 2)
	c.Program.Header.Target = "bsd"
	got, _, err := s.Add(c, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(got.File)
	if err != nil || !strings.Contains(string(src), "\n# target: bsd\n") {
		t.Errorf("stored file lacks the target line: %v\n%s", err, src)
	}
}

func TestParseCrasherErrors(t *testing.T) {
	tests := []struct{ file, want string }{
		{"bad-magic.prog", `bad-magic.prog:1: expected "# sockfuzz crasher v1" as the first line`},
		{"no-header.prog", `no-header.prog:1: expected "# sockfuzz crasher v1"`},
		{"no-title.prog", `no-title.prog:1: header has no "# title: ..." line`},
		{"dup-seen.prog", `dup-seen.prog:8: header line "seen" given twice (first on line 7)`},
		{"bad-reliability.prog", `bad-reliability.prog:5: reliability: expected "N/M controlled replays"`},
		{"bad-reliability-words.prog", `bad-reliability-words.prog:5: reliability: expected`},
		{"bad-time.prog", `bad-time.prog:6: first-found: expected a time`},
		{"bad-seen.prog", `bad-seen.prog:7: seen: expected a count of at least 1, found "0"`},
		{"faults-mismatch.prog", `faults-mismatch.prog:4: faults: the header says "none", the program's faults line "abort-twice"`},
		{"syntax.prog", `syntax.prog:19:9: expected resource defined earlier`},
		{"empty-oracle.prog", `empty-oracle.prog:3: oracle: empty oracle`},
		{"target-mismatch.prog", `target-mismatch.prog:4: target: the header says "netstack", the program's target line "bsd"`},
		{"target-missing.prog", `target-missing.prog:1: target: the header says no target (bsd), the program's target line "netstack"`},
		{"bad-target.prog", `bad-target.prog:4: target: expected a target name, found "not a name"`},
	}
	for _, tc := range tests {
		_, err := ParseCrasher(tc.file, readFixture(t, tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.file, err, tc.want)
		}
	}
}

func TestCrasherFileName(t *testing.T) {
	tests := []struct{ title, want string }{
		{"use-after-soclose: access to freed socket in tcp_input", "use-after-soclose-access-to-freed-socket-in-tcp-input-"},
		{"Data race on so_state (soisconnected vs soclose)", "data-race-on-so-state-soisconnected-vs-soclose-"},
		{"::", "crasher-"},
		{strings.Repeat("a", 100), strings.Repeat("a", 64) + "-"},
	}
	for _, tc := range tests {
		got := CrasherFileName(tc.title)
		if !strings.HasPrefix(got, tc.want) || !strings.HasSuffix(got, ".prog") || len(got) != len(tc.want)+8+len(".prog") {
			t.Errorf("CrasherFileName(%q) = %q, want %q + 8 hex digits + .prog", tc.title, got, tc.want)
		}
	}
	if CrasherFileName("a b") == CrasherFileName("a-b") {
		t.Errorf("titles with one slug share a file name")
	}
}

// newCrasher is a crasher to add, built from the good fixture with another program size.
func newCrasher(t *testing.T, title string, calls int) *Crasher {
	t.Helper()
	c, err := ParseCrasher("good.prog", readFixture(t, "good.prog"))
	if err != nil {
		t.Fatal(err)
	}
	c.Title, c.Seen, c.FirstFound, c.File, c.Notes = title, 0, time.Time{}, "", nil
	for len(c.Program.Procs[0].Calls) < calls {
		c.Program.Procs[0].Calls = append(c.Program.Procs[0].Calls, Call{Result: -1, Name: "getsockopt", Args: []Arg{ResArg(0), WordArg("error")}})
	}
	return c
}

func TestStoreAdd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "crashers")
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	steps := []struct {
		calls   int
		at      time.Time
		isNew   bool
		seen    int
		wantLen int // calls of the stored program
		rel     string
	}{
		{5, t0, true, 1, 5, "100/100 controlled replays"},
		{7, t0.Add(time.Hour), false, 2, 5, "100/100 controlled replays"}, // bigger: the stored one stays
		{4, t0.Add(2 * time.Hour), false, 3, 4, "90/100 controlled replays"},
	}
	title := "lost-wakeup: recv blocked with data in so_rcv"
	for i, st := range steps {
		c := newCrasher(t, title, st.calls)
		if i == 2 {
			c.Reproduced = 90
			c.Notes = []string{" minimized again"}
		}
		got, isNew, err := s.Add(c, st.at)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if isNew != st.isNew || got.Seen != st.seen || len(got.Program.Procs[0].Calls) != st.wantLen ||
			!got.FirstFound.Equal(t0) || got.Reliability() != st.rel {
			t.Errorf("step %d: new %v seen %d calls %d first-found %v reliability %s; want %v %d %d %v %s",
				i, isNew, got.Seen, len(got.Program.Procs[0].Calls), got.FirstFound, got.Reliability(),
				st.isNew, st.seen, st.wantLen, t0, st.rel)
		}
		if got.File != filepath.Join(dir, CrasherFileName(title)) {
			t.Errorf("step %d: stored in %s", i, got.File)
		}
		// What Add returned is what the file holds.
		onDisk, err := s.Lookup(title)
		if err != nil || onDisk == nil || string(onDisk.Text()) != string(got.Text()) {
			t.Errorf("step %d: file differs from Add's result: %v", i, err)
		}
	}
	// Another title, then the listing: sorted by file name, no temporary files left.
	if _, isNew, err := s.Add(newCrasher(t, "accept-queue: socket on so_comp without SS_COMP", 3), t0); err != nil || !isNew {
		t.Fatalf("second title: %v new %v", err, isNew)
	}
	all, err := s.Load()
	if err != nil || len(all) != 2 || all[0].Title != "accept-queue: socket on so_comp without SS_COMP" || all[1].Title != title {
		t.Errorf("Load: %v, %d crashers", err, len(all))
	}
	if !slices.Contains(all[1].Notes, " minimized again") {
		t.Errorf("notes %q lack the added one", all[1].Notes)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d files in the store, want 2 (temporary files left?)", len(entries))
	}
	if c, err := s.Lookup("no such title"); c != nil || err != nil {
		t.Errorf("Lookup of an unknown title: %v %v", c, err)
	}
}

func TestStoreBadFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	good := readFixture(t, "good.prog")
	title := "use-after-soclose: access to freed socket in tcp_input"
	blocked := "lost-wakeup: a title whose file is broken"
	files := map[string][]byte{
		"hand-made.prog":                good, // a hand-made name: the store finds it by its title
		"copy.prog":                     good, // a second file with the same title
		CrasherFileName(blocked):        readFixture(t, "syntax.prog"),
		"notes.txt":                     []byte("not a program"),
		CrasherFileName("other title"):  readFixture(t, "no-faults.prog"), // holds another title
		"zz-" + CrasherFileName("more"): readFixture(t, "bad-time.prog"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.Load()
	if len(all) != 2 {
		t.Errorf("Load: %d good crashers, want 2", len(all))
	}
	for _, want := range []string{
		"hand-made.prog:1: title \"" + title + "\" is already stored in " + filepath.Join(dir, "copy.prog"),
		CrasherFileName(blocked) + ":19:9: expected resource",
		"zz-" + CrasherFileName("more") + ":6: first-found",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load error %v lacks %q", err, want)
		}
	}
	// Adding the known title updates the first file of the title, not a new one.
	c := newCrasher(t, title, 9)
	got, isNew, err := s.Add(c, time.Now())
	if err != nil || isNew || got.File != filepath.Join(dir, "copy.prog") || got.Seen != 4 {
		t.Errorf("Add of a hand-made title: %v new %v file %s seen %d", err, isNew, got.File, got.Seen)
	}
	// Neither a broken file nor a file of another title is overwritten.
	for _, tt := range []struct{ title, want string }{
		{blocked, "does not read as a crasher, not overwriting it"},
		{"other title", "holds another title, not overwriting it"},
	} {
		if _, _, err := s.Add(newCrasher(t, tt.title, 1), time.Now()); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Add %q: error %v, want %q", tt.title, err, tt.want)
		}
	}
	for name, b := range files {
		if name == "copy.prog" {
			continue
		}
		now, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(now) != string(b) {
			t.Errorf("%s changed: %v", name, err)
		}
	}
	// A missing store reads as an error, not a panic.
	gone := &Store{dir: filepath.Join(dir, "nosuch")}
	if _, err := gone.Load(); err == nil {
		t.Errorf("Load of a missing directory gave no error")
	}
}

func TestStoreAddInvalid(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(c *Crasher)
		want   string
	}{
		{"no title", func(c *Crasher) { c.Title = "" }, "without a title"},
		{"two lines", func(c *Crasher) { c.Title = "a\nb" }, "line break"},
		{"blank", func(c *Crasher) { c.Oracle = " x" }, "leading or trailing blanks"},
		{"replays", func(c *Crasher) { c.Replays = 0 }, "reliability"},
		{"program", func(c *Crasher) { c.Program = nil }, "without a program"},
		{"invalid program", func(c *Crasher) { c.Program.Header.CPUs = 9 }, "cpus 9"},
	}
	for _, tc := range tests {
		c := newCrasher(t, "t", 1)
		tc.change(c)
		if _, _, err := s.Add(c, time.Now()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	if all, err := s.Load(); len(all) != 0 || err != nil {
		t.Errorf("a rejected crasher was stored: %d, %v", len(all), err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.prog")
	for _, content := range []string{"first\n", "second\n"} {
		if err := WriteFileAtomic(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil || string(b) != content {
			t.Errorf("read %q, %v; want %q", b, err, content)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files, want 1", len(entries))
	}
	err := WriteFileAtomic(filepath.Join(dir, "nosuch", "x"), nil, 0o644)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("write into a missing directory: %v", err)
	}
}

// TestStoreAddConcurrent adds one title from several goroutines: every add is counted.
func TestStoreAddConcurrent(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		c := newCrasher(t, "data-race: so_state", 1+i%3)
		go func() {
			_, _, err := s.Add(c, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	c, err := s.Lookup("data-race: so_state")
	if err != nil || c == nil || c.Seen != n || len(c.Program.Procs[0].Calls) != 3 {
		t.Errorf("after %d adds: %v %+v", n, err, c)
	}
}
