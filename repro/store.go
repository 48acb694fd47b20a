package repro

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sockfuzz/sockfuzz/stack"
)

// The crash store keeps one text program per report title under a directory, named by the
// title's slug and a short hash of it. A stored crasher is a normal program whose leading
// comment lines are its header:
//
//	# sockfuzz crasher v1
//	# title: use-after-soclose: access to freed socket in tcp_input
//	# oracle: use-after-soclose
//	# target: bsd
//	# faults: abort-twice
//	# reliability: 100/100 controlled replays
//	# first-found: 2026-11-25T10:00:00Z
//	# seen: 3
//	# found-by: sockfuzz fuzz FuzzSoclose
//	target  bsd
//	faults  abort-twice
//	...
//
// The first line names the format; the "key: value" lines may come in any order, each once;
// found-by and target are optional, the others are required; "faults" lists the program's
// faults (separated by blanks) or says none; "target" names the program's stack target, and is
// written when the program has a target line. A crasher without it, as every crasher stored
// before targets existed, runs on stack.DefaultTarget (bsd). Other comment lines among them are
// free-form notes, kept in order.

// CrasherMagic is the first line of a stored crasher.
const CrasherMagic = "# sockfuzz crasher v1"

// DefaultStoreDir is the crash store's directory, relative to the repository's root.
const DefaultStoreDir = "corpus/crashers"

// maxCrasherFile bounds the size of a crasher file the store reads.
const maxCrasherFile = 8 << 20

// Crasher is a stored crasher: a failing program and what is known about it.
type Crasher struct {
	// Title is the report title it reproduces: the store's key.
	Title string
	// Oracle names the oracle that reports it.
	Oracle string
	// Reproduced of Replays controlled replays reproduced the title when it was stored.
	Reproduced, Replays int
	// FirstFound is when the title was first stored.
	FirstFound time.Time
	// Seen counts the times it was found (added to the store).
	Seen int
	// FoundBy says how it was found ("sockfuzz fuzz FuzzSoclose"); may be empty.
	FoundBy string
	// Notes are the free-form comment lines of the header, each the text after its '#'.
	Notes []string
	// Program is the failing program; its Comments are not used (the header replaces them).
	Program *Program
	// File is the path the crasher was read from, or "" for one not read from a file.
	File string
}

// header field keys, in writing order.
const (
	keyTitle       = "title"
	keyOracle      = "oracle"
	keyTarget      = "target"
	keyFaults      = "faults"
	keyReliability = "reliability"
	keyFirstFound  = "first-found"
	keySeen        = "seen"
	keyFoundBy     = "found-by"
)

var headerKeys = []string{keyTitle, keyOracle, keyTarget, keyFaults, keyReliability, keyFirstFound, keySeen, keyFoundBy}

// Reliability returns "N/M controlled replays", as the header writes it.
func (c *Crasher) Reliability() string {
	return fmt.Sprintf("%d/%d controlled replays", c.Reproduced, c.Replays)
}

// ParseCrasher reads a stored crasher's text; name is the file name errors carry. Every error
// names the file and line ("name:line: ..." or the parser's "name:line:col: ...").
func ParseCrasher(name string, src []byte) (*Crasher, error) {
	c := &Crasher{File: name}
	var faults []string // the header's
	target := ""        // the header's, "" when it names none
	lines := bytes.Split(src, []byte("\n"))
	seen := map[string]int{} // key -> line; looked up, never iterated
	magic := 0
	for i, raw := range lines {
		ln := i + 1
		l := strings.TrimRight(string(raw), "\r")
		t := strings.TrimLeft(l, " \t")
		if t == "" {
			continue
		}
		if t[0] != '#' {
			break
		}
		if magic == 0 {
			if strings.TrimSpace(t) != CrasherMagic {
				return nil, fmt.Errorf("%s:%d: expected %q as the first line, found %q", name, ln, CrasherMagic, clip(t))
			}
			magic = ln
			continue
		}
		key, val, ok := strings.Cut(strings.TrimSpace(t[1:]), ":")
		if !ok || !slices.Contains(headerKeys, key) {
			c.Notes = append(c.Notes, t[1:])
			continue
		}
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("%s:%d: header line %q given twice (first on line %d)", name, ln, key, prev)
		}
		seen[key] = ln
		val = strings.TrimSpace(val)
		if key == keyFaults {
			faults = strings.Fields(val)
			if len(faults) == 0 {
				return nil, fmt.Errorf("%s:%d: faults: expected fault names or \"none\"", name, ln)
			}
			if len(faults) == 1 && faults[0] == "none" {
				faults = nil
			}
			continue
		}
		if key == keyTarget {
			if !isIdent(val) {
				return nil, fmt.Errorf("%s:%d: target: expected a target name, found %q", name, ln, clip(val))
			}
			target = val
			continue
		}
		if err := c.setField(key, val); err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %w", name, ln, key, err)
		}
	}
	if magic == 0 {
		return nil, fmt.Errorf("%s:1: expected %q as the first line", name, CrasherMagic)
	}
	for _, k := range headerKeys {
		if _, ok := seen[k]; !ok && k != keyFoundBy && k != keyTarget {
			return nil, fmt.Errorf("%s:%d: header has no %q line", name, magic, "# "+k+": ...")
		}
	}
	p, err := Parse(name, src)
	if err != nil {
		return nil, err
	}
	p.Comments = nil
	c.Program = p
	if got, want := faultsValue(faults), c.faultsText(); got != want {
		return nil, fmt.Errorf("%s:%d: faults: the header says %q, the program's faults line %q", name, seen[keyFaults], got, want)
	}
	// Both sides name a target or mean the default, as a crasher stored before targets does.
	if got, want := stack.TargetName(target), stack.TargetName(p.Header.Target); got != want {
		ln, says := seen[keyTarget], fmt.Sprintf("%q", target)
		if target == "" {
			ln, says = magic, fmt.Sprintf("no target (%s)", got)
		}
		return nil, fmt.Errorf("%s:%d: target: the header says %s, the program's target line %q", name, ln, says, want)
	}
	return c, nil
}

// setField sets one header field from its value.
func (c *Crasher) setField(key, val string) error {
	switch key {
	case keyTitle:
		if val == "" {
			return errors.New("empty title")
		}
		c.Title = val
	case keyOracle:
		if val == "" {
			return errors.New("empty oracle")
		}
		c.Oracle = val
	case keyReliability:
		frac, rest, _ := strings.Cut(val, " ")
		ns, ms, _ := strings.Cut(frac, "/")
		n, err1 := strconv.Atoi(ns)
		m, err2 := strconv.Atoi(ms)
		if err1 != nil || err2 != nil || rest != "controlled replays" || m < 1 || n < 0 || n > m ||
			strconv.Itoa(n) != ns || strconv.Itoa(m) != ms {
			return fmt.Errorf("expected \"N/M controlled replays\" with 0 <= N <= M, M >= 1, found %q", clip(val))
		}
		c.Reproduced, c.Replays = n, m
	case keyFirstFound:
		t, err := time.Parse(time.RFC3339, val)
		if err != nil {
			return fmt.Errorf("expected a time as 2006-01-02T15:04:05Z, found %q", clip(val))
		}
		c.FirstFound = t
	case keySeen:
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 {
			return fmt.Errorf("expected a count of at least 1, found %q", clip(val))
		}
		c.Seen = n
	case keyFoundBy:
		c.FoundBy = val
	}
	return nil
}

// faultsText is the header's faults value for the crasher's program.
func (c *Crasher) faultsText() string {
	if c.Program == nil {
		return "none"
	}
	return faultsValue(c.Program.Header.Faults)
}

func faultsValue(f []string) string {
	if len(f) == 0 {
		return "none"
	}
	return strings.Join(f, " ")
}

// clip shortens a quoted excerpt of bad input.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// check reports what would make the crasher unwritable or unreadable.
func (c *Crasher) check() error {
	oneLine := func(what, s string) error {
		if strings.ContainsAny(s, "\r\n") {
			return fmt.Errorf("%s %q holds a line break", what, clip(s))
		}
		if strings.TrimSpace(s) != s {
			return fmt.Errorf("%s %q has leading or trailing blanks", what, clip(s))
		}
		return nil
	}
	if c.Title == "" || c.Oracle == "" {
		return errors.New("crasher without a title or an oracle")
	}
	for _, f := range [][2]string{{"title", c.Title}, {"oracle", c.Oracle}, {"found-by", c.FoundBy}} {
		if err := oneLine(f[0], f[1]); err != nil {
			return err
		}
	}
	for _, n := range c.Notes {
		if strings.ContainsAny(n, "\r\n") {
			return fmt.Errorf("note %q holds a line break", clip(n))
		}
	}
	if c.Replays < 1 || c.Reproduced < 0 || c.Reproduced > c.Replays {
		return fmt.Errorf("reliability %d/%d: want 0 <= N <= M, M >= 1", c.Reproduced, c.Replays)
	}
	if c.Seen < 1 {
		return fmt.Errorf("seen %d: want at least 1", c.Seen)
	}
	if c.Program == nil {
		return errors.New("crasher without a program")
	}
	return Validate(c.Program)
}

// Text returns the crasher's file content: the header, the notes and the program.
func (c *Crasher) Text() []byte {
	p := *c.Program
	p.Comments = []string{
		strings.TrimPrefix(CrasherMagic, "#"),
		" title: " + c.Title,
		" oracle: " + c.Oracle,
	}
	if t := c.Program.Header.Target; t != "" {
		p.Comments = append(p.Comments, " target: "+t)
	}
	p.Comments = append(p.Comments,
		" faults: "+c.faultsText(),
		" reliability: "+c.Reliability(),
		" first-found: "+c.FirstFound.UTC().Format(time.RFC3339),
		" seen: "+strconv.Itoa(c.Seen),
	)
	if c.FoundBy != "" {
		p.Comments = append(p.Comments, " found-by: "+c.FoundBy)
	}
	for _, n := range c.Notes {
		if !strings.HasPrefix(n, " ") && n != "" {
			n = " " + n
		}
		p.Comments = append(p.Comments, n)
	}
	return []byte(p.String())
}

// CrasherFileName returns the store's file name for a title: its slug, a dash, the first 8
// hexadecimal digits of its SHA-256 and ".prog", so that each title has one file.
func CrasherFileName(title string) string {
	sum := sha256.Sum256([]byte(title))
	return slug(title) + "-" + hex.EncodeToString(sum[:4]) + ".prog"
}

// slug keeps a title's letters and digits, lowercased, with one dash for each run of anything
// else, at most 64 bytes.
func slug(title string) string {
	var b strings.Builder
	dash := false
	for i := 0; i < len(title) && b.Len() < 64; i++ {
		c := title[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		default:
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteByte(c)
	}
	s := strings.TrimRight(b.String(), "-")
	if s == "" {
		return "crasher"
	}
	return s
}

// Store is a crash store: a directory of crasher files, one per title. Its methods are safe
// for concurrent use within one process; two processes adding to one directory at once may
// lose an update of seen (never a file: every write is atomic).
type Store struct {
	dir string
	mu  sync.Mutex
}

// OpenStore opens the crash store in dir, creating the directory if needed.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open crash store: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Load reads every crasher of the store (the *.prog files), sorted by file name. Files that do
// not read as crashers are left alone and reported: the error joins one error per bad file,
// naming it and the line, while the crashers returned are the good ones. A title stored in
// two files is reported too, and only the first file's crasher returned.
func (s *Store) Load() ([]*Crasher, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	good, bad := s.load()
	var errs []error
	for _, b := range bad {
		errs = append(errs, b.err)
	}
	return good, errors.Join(errs...)
}

// badFile is a file of the store that does not read as a crasher.
type badFile struct {
	name string
	err  error
}

func (s *Store) load() ([]*Crasher, []badFile) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, []badFile{{"", fmt.Errorf("crash store: %w", err)}}
	}
	var good []*Crasher
	var bad []badFile
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".prog" || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		c, err := readCrasher(filepath.Join(s.dir, e.Name()))
		if err != nil {
			bad = append(bad, badFile{e.Name(), err})
			continue
		}
		if i := slices.IndexFunc(good, func(g *Crasher) bool { return g.Title == c.Title }); i >= 0 {
			bad = append(bad, badFile{e.Name(), fmt.Errorf("%s:1: title %q is already stored in %s", c.File, c.Title, good[i].File)})
			continue
		}
		good = append(good, c)
	}
	return good, bad
}

func readCrasher(path string) (*Crasher, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("crash store: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxCrasherFile+1)); err != nil {
		return nil, fmt.Errorf("crash store: %s: %w", path, err)
	}
	if buf.Len() > maxCrasherFile {
		return nil, fmt.Errorf("%s:1: file larger than %d bytes", path, maxCrasherFile)
	}
	return ParseCrasher(path, buf.Bytes())
}

// Lookup returns the stored crasher with the title, or nil. When it is not found and some
// files did not read, the error says which (the title may be in one of them).
func (s *Store) Lookup(title string) (*Crasher, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	good, bad := s.load()
	for _, c := range good {
		if c.Title == title {
			return c, nil
		}
	}
	var errs []error
	for _, b := range bad {
		errs = append(errs, b.err)
	}
	return nil, errors.Join(errs...)
}

// Add stores c, or updates the crasher already stored with its title: seen goes up by one,
// first-found, found-by and the notes stay, and of the two programs the smaller is kept with
// its reliability and oracle. now is the time of first-found for a new title (when c has
// none). Add returns the crasher as stored and whether the title is new. It never overwrites a
// file that does not read as a crasher, nor one of another title, and writes atomically.
func (s *Store) Add(c *Crasher, now time.Time) (*Crasher, bool, error) {
	n := *c
	n.Notes = slices.Clone(c.Notes)
	n.File = ""
	if n.Seen < 1 {
		n.Seen = 1
	}
	if n.FirstFound.IsZero() {
		n.FirstFound = now
	}
	n.FirstFound = n.FirstFound.UTC().Truncate(time.Second)
	if err := n.check(); err != nil {
		return nil, false, fmt.Errorf("crash store: add %q: %w", c.Title, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	good, bad := s.load()
	isNew := true
	path := filepath.Join(s.dir, CrasherFileName(n.Title))
	if i := slices.IndexFunc(good, func(g *Crasher) bool { return g.Title == n.Title }); i >= 0 {
		old := good[i]
		isNew = false
		path = old.File
		merged := *old
		merged.Seen = old.Seen + 1
		for _, note := range n.Notes {
			if !slices.Contains(merged.Notes, note) {
				merged.Notes = append(merged.Notes, note)
			}
		}
		if programLess(n.Program, old.Program) {
			merged.Program, merged.Reproduced, merged.Replays, merged.Oracle = n.Program, n.Reproduced, n.Replays, n.Oracle
		}
		n = merged
	} else {
		for _, b := range bad {
			if b.name == filepath.Base(path) {
				return nil, false, fmt.Errorf("crash store: add %q: %s exists but does not read as a crasher, not overwriting it: %w", n.Title, path, b.err)
			}
		}
		if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
			return nil, false, fmt.Errorf("crash store: add %q: %s exists and holds another title, not overwriting it", n.Title, path)
		}
	}
	n.File = ""
	if err := WriteFileAtomic(path, n.Text(), 0o644); err != nil {
		return nil, false, fmt.Errorf("crash store: add %q: %w", n.Title, err)
	}
	n.File = path
	return &n, isNew, nil
}

// programLess reports whether p is smaller than q: fewer calls and wire operations, then
// fewer processes, faults, CPUs, schedule choices, then shorter text.
func programLess(p, q *Program) bool {
	size := func(p *Program) []int {
		calls := 0
		for _, pr := range p.Procs {
			calls += len(pr.Calls)
		}
		return []int{calls + len(p.Wire), len(p.Procs), len(p.Header.Faults), p.Header.CPUs,
			len(p.Header.Sched.Choices), len(p.String())}
	}
	return slices.Compare(size(p), size(q)) < 0
}

// WriteFileAtomic writes data to path through a temporary file in the same directory, synced
// and renamed over path, so that a reader sees the old content or the new, never a part.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// The rename is durable once the directory is synced; not every system can sync one.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
