package sched

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Schedule names a chooser and its arguments, as a program's header writes it
// (`sched pct seed=0x1f depth=3 steps=400`). Only the fields of its kind's parameters and data
// are meaningful; the others are zero. Every kind is registered once (RegisterKind), here in the
// substrate: the program language parses, prints and validates schedules, and builds their
// choosers, through the registry, so that a new chooser is one registration.
type Schedule struct {
	// Kind names the chooser.
	Kind KindName
	// Seed seeds the random kinds.
	Seed uint64
	// Depth is PCT's bug depth; Steps its estimate of an execution's scheduling points; Syncs
	// sync PCT's estimate of its synchronization points; Odds a walk's switch odds; Points
	// Preempt's estimate of an execution's atomic write decisions (Result.Atomics).
	Depth, Steps, Syncs, Odds, Points int
	// Bytes is the bytes chooser's input (DataBytes).
	Bytes []byte
	// Choices are the replay chooser's explicit choices (DataChoices); ClockID is the clock.
	Choices []ID
}

// KindName names a kind of schedule.
type KindName string

// The built-in kinds.
const (
	KindDefault KindName = "default"
	KindRandom  KindName = "random"
	KindPCT     KindName = "pct"
	KindSyncPCT KindName = "syncpct"
	KindWalk    KindName = "walk"
	KindPreempt KindName = "preempt"
	KindBytes   KindName = "bytes"
	KindReplay  KindName = "replay"
)

// Param is a numeric parameter of a kind, written name=value.
type Param struct {
	// Name is the parameter's name: seed, depth, steps, syncs or odds (the Schedule fields).
	Name string
	// Min and Max bound its value; seed takes any uint64 and has neither.
	Min, Max int
	// Default is its value when a schedule line leaves it out.
	Default int
}

// Data is the kind of a schedule's trailing data.
type Data uint8

// The data kinds.
const (
	// DataNone: the kind has only parameters.
	DataNone Data = iota
	// DataBytes: hexadecimal bytes, one per decision (the bytes chooser).
	DataBytes
	// DataChoices: thread numbers, c for the clock (the replay chooser).
	DataChoices
)

// Limits of schedules' data and parameters, shared by every kind that has them.
const (
	// MaxChoices is the most explicit choices (replay) or bytes (bytes) of a schedule.
	MaxChoices = 100000
	// MaxThreadID is the highest thread ID a replay choice may name.
	MaxThreadID = 255
	// MaxPCTDepth and MaxPCTSteps bound the PCT choosers' parameters.
	MaxPCTDepth, MaxPCTSteps = 16, 10000000
	// DefaultPCTDepth and DefaultPCTSteps are the PCT parameters a schedule line leaves out.
	DefaultPCTDepth, DefaultPCTSteps = 3, 5000
	// DefaultSyncs is sync PCT's synchronization-point estimate when a line leaves it out.
	DefaultSyncs = 500
	// MaxOdds bounds a walk's switch odds; DefaultOdds is the odds a line leaves out.
	MaxOdds, DefaultOdds = 1 << 20, 16
)

// Kind describes one kind of schedule: its name, its parameters in the order the text writes
// them, its data, and how to build its chooser.
type Kind struct {
	Name KindName
	// Doc says in a line what the kind does.
	Doc string
	// Params are its numeric parameters, in text order.
	Params []Param
	// Data is its trailing data, if any.
	Data Data
	// New builds the chooser of a valid schedule of this kind; nil means the substrate's
	// default choices (Default).
	New func(s *Schedule) Chooser
}

var (
	kindsMu sync.RWMutex
	kinds   []*Kind // in registration order, the order tools list them in
)

// RegisterKind makes a kind of schedule available by its name. It panics when the name is
// taken or a parameter is not a Schedule field, as a programming error.
func RegisterKind(k Kind) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	for _, o := range kinds {
		if o.Name == k.Name {
			panic(fmt.Sprintf("sched: schedule kind %q registered twice", k.Name))
		}
	}
	for _, p := range k.Params {
		if paramField(new(Schedule), p.Name) == nil && p.Name != "seed" {
			panic(fmt.Sprintf("sched: schedule kind %q: unknown parameter %q", k.Name, p.Name))
		}
	}
	kinds = append(kinds, &k)
}

// LookupKind returns the kind called name.
func LookupKind(name KindName) (*Kind, bool) {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	for _, k := range kinds {
		if k.Name == name {
			return k, true
		}
	}
	return nil, false
}

// KindNames returns the registered kinds' names, in registration order.
func KindNames() []string {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = string(k.Name)
	}
	return out
}

// paramField returns the Schedule field of a parameter other than seed, nil if none.
func paramField(s *Schedule, name string) *int {
	switch name {
	case "depth":
		return &s.Depth
	case "steps":
		return &s.Steps
	case "syncs":
		return &s.Syncs
	case "odds":
		return &s.Odds
	case "points":
		return &s.Points
	}
	return nil
}

// Param returns the value of parameter name of s (seed as a uint64).
func (s *Schedule) Param(name string) uint64 {
	if name == "seed" {
		return s.Seed
	}
	if f := paramField(s, name); f != nil {
		return uint64(*f)
	}
	return 0
}

// SetParam sets parameter name of s.
func (s *Schedule) SetParam(name string, v uint64) {
	if name == "seed" {
		s.Seed = v
		return
	}
	if f := paramField(s, name); f != nil {
		*f = int(v)
	}
}

// Defaults returns a schedule of kind k with every parameter at its default.
func (k *Kind) Defaults() Schedule {
	s := Schedule{Kind: k.Name}
	for _, p := range k.Params {
		s.SetParam(p.Name, uint64(p.Default))
	}
	return s
}

// Validate checks that s is a schedule its kind accepts: a registered kind, parameters in range,
// no field its kind does not have, data within bounds.
func (s *Schedule) Validate() error {
	k, ok := LookupKind(s.Kind)
	if !ok {
		return fmt.Errorf("unknown schedule kind %q (known: %s)", s.Kind, strings.Join(KindNames(), ", "))
	}
	z := Schedule{Kind: s.Kind}
	for _, p := range k.Params {
		v := s.Param(p.Name)
		if p.Name != "seed" && (int(v) < p.Min || int(v) > p.Max) {
			return fmt.Errorf("%s %s %d out of %d..%d", s.Kind, p.Name, int(v), p.Min, p.Max)
		}
		z.SetParam(p.Name, v)
	}
	switch k.Data {
	case DataBytes:
		if len(s.Bytes) > MaxChoices {
			return fmt.Errorf("%d bytes, at most %d allowed", len(s.Bytes), MaxChoices)
		}
		z.Bytes = s.Bytes
	case DataChoices:
		if len(s.Choices) > MaxChoices {
			return fmt.Errorf("%d choices, at most %d allowed", len(s.Choices), MaxChoices)
		}
		for i, c := range s.Choices {
			if c != ClockID && (c < 0 || c > MaxThreadID) {
				return fmt.Errorf("choice %d: thread %d out of 0..%d", i, c, MaxThreadID)
			}
		}
		z.Choices = s.Choices
	}
	if !s.Equal(&z) {
		return fmt.Errorf("fields set that the %s schedule does not have", s.Kind)
	}
	return nil
}

// String writes the schedule as a program's header line writes it after "sched": the kind,
// its parameters in order (the seed in hexadecimal), then its data.
func (s *Schedule) String() string {
	var b strings.Builder
	b.WriteString(string(s.Kind))
	k, ok := LookupKind(s.Kind)
	if !ok {
		return b.String()
	}
	for _, p := range k.Params {
		if p.Name == "seed" {
			fmt.Fprintf(&b, " seed=%#x", s.Seed)
		} else {
			fmt.Fprintf(&b, " %s=%d", p.Name, s.Param(p.Name))
		}
	}
	switch k.Data {
	case DataBytes:
		if len(s.Bytes) > 0 {
			b.WriteString(" ")
			b.WriteString(hex.EncodeToString(s.Bytes))
		}
	case DataChoices:
		for _, c := range s.Choices {
			b.WriteString(" ")
			b.WriteString(ChoiceString(c))
		}
	}
	return b.String()
}

// ChoiceString writes one replay choice: a thread ID, or c for the clock.
func ChoiceString(c ID) string {
	if c == ClockID {
		return "c"
	}
	return strconv.Itoa(int(c))
}

// Equal reports whether two schedules are the same.
func (s *Schedule) Equal(o *Schedule) bool {
	return s.Kind == o.Kind && s.Seed == o.Seed && s.Depth == o.Depth && s.Steps == o.Steps &&
		s.Syncs == o.Syncs && s.Odds == o.Odds && s.Points == o.Points && slices.Equal(s.Bytes, o.Bytes) && slices.Equal(s.Choices, o.Choices)
}

// Chooser builds the chooser of a valid schedule; nil means the substrate's default choices.
func (s *Schedule) Chooser() Chooser {
	if k, ok := LookupKind(s.Kind); ok && k.New != nil {
		return k.New(s)
	}
	return nil
}

// The built-in kinds, registered once. Their order is the order tools list them in.
func init() {
	seed := Param{Name: "seed"}
	RegisterKind(Kind{Name: KindDefault, Doc: "the substrate's default choices: the lowest runnable thread"})
	RegisterKind(Kind{Name: KindRandom, Doc: "a uniformly random runnable thread at every decision",
		Params: []Param{seed}, New: func(s *Schedule) Chooser { return Random(s.Seed) }})
	RegisterKind(Kind{Name: KindPCT, Doc: "PCT: random priorities, depth-1 change points among steps",
		Params: []Param{seed, {Name: "depth", Min: 1, Max: MaxPCTDepth, Default: DefaultPCTDepth},
			{Name: "steps", Min: 1, Max: MaxPCTSteps, Default: DefaultPCTSteps}},
		New: func(s *Schedule) Chooser { return PCT(s.Seed, s.Depth, s.Steps) }})
	RegisterKind(Kind{Name: KindSyncPCT, Doc: "PCT whose change points fall only at locks and message sends",
		Params: []Param{seed, {Name: "depth", Min: 1, Max: MaxPCTDepth, Default: DefaultPCTDepth},
			{Name: "syncs", Min: 1, Max: MaxPCTSteps, Default: DefaultSyncs}},
		New: func(s *Schedule) Chooser { return SyncPCT(s.Seed, s.Depth, s.Syncs) }})
	RegisterKind(Kind{Name: KindWalk, Doc: "keep the running thread, switching at random once in odds decisions",
		Params: []Param{seed, {Name: "odds", Min: 2, Max: MaxOdds, Default: DefaultOdds}},
		New:    func(s *Schedule) Chooser { return Walk(s.Seed, s.Odds) }})
	RegisterKind(Kind{Name: KindPreempt, Doc: "the default's choices, preempting the running thread before depth-1 of its atomic writes",
		Params: []Param{seed, {Name: "depth", Min: 1, Max: MaxPCTDepth, Default: DefaultPCTDepth},
			{Name: "points", Min: 1, Max: MaxPCTSteps, Default: DefaultSyncs}},
		New: func(s *Schedule) Chooser { return Preempt(s.Seed, s.Depth, s.Points) }})
	RegisterKind(Kind{Name: KindBytes, Doc: "one input byte per decision, then the default choices",
		Data: DataBytes, New: func(s *Schedule) Chooser { return Bytes(s.Bytes) }})
	RegisterKind(Kind{Name: KindReplay, Doc: "explicit choices, thread numbers or c for the clock, then the default",
		Data: DataChoices, New: func(s *Schedule) Chooser { return Replay(s.Choices) }})
}
