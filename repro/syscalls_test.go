package repro

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// stableCodes pins every call's code: stored byte inputs name calls by them, so a code never
// changes and is never reused. A new call takes a new code and a line here.
var stableCodes = map[string]uint8{
	"socket": 0, "bind": 1, "listen": 2, "connect": 3, "accept": 4, "send": 5, "sendto": 6,
	"recv": 7, "recvfrom": 8, "shutdown": 9, "close": 10, "dup": 11, "ioctl": 12, "fcntl": 13,
	"setsockopt": 14, "getsockopt": 15, "sockatmark": 16, "poll": 17, "interrupt": 18,
}

// TestSyscallTable checks the rows: stable, distinct codes the selector can name, a binding,
// parameters that fit a record, value tables as long as their words.
func TestSyscallTable(t *testing.T) {
	seen := map[uint8]string{}
	for _, sc := range syscalls {
		if want, ok := stableCodes[sc.name]; !ok || want != sc.code {
			t.Errorf("%s: code %d, pinned %d (%v)", sc.name, sc.code, want, ok)
		}
		if other, ok := seen[sc.code]; ok || sc.code >= maxCode {
			t.Errorf("%s: code %d also %s's or not below %d", sc.name, sc.code, other, maxCode)
		}
		seen[sc.code] = sc.name
		if sc.exec == nil || len(sc.params) > recordLen-1 || lookupSyscall(sc.name) != sc {
			t.Errorf("%s: no binding, %d parameters, or not found by name", sc.name, len(sc.params))
		}
		for _, pm := range sc.params {
			if pm.vals != nil && len(pm.vals) != len(pm.words) {
				t.Errorf("%s %s: %d values for %d words", sc.name, pm.what, len(pm.vals), len(pm.words))
			}
			for _, v := range pm.table {
				if v < pm.min || v > pm.max {
					t.Errorf("%s %s: table value %d out of %d..%d", sc.name, pm.what, v, pm.min, pm.max)
				}
			}
		}
	}
	if len(seen) != len(stableCodes) {
		t.Errorf("%d calls, %d pinned codes", len(seen), len(stableCodes))
	}
}

// TestProfileSelectors checks the selector mapping: a call's code selects it, the mapping
// does not depend on the order of the list, and adding a call to a profile moves only the
// selectors the new call takes.
func TestProfileSelectors(t *testing.T) {
	base := []string{"socket", "bind", "listen", "connect", "accept", "close", "dup", "interrupt"}
	pr, err := NewProfile("base", base...)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	shuffled := slices.Clone(base)
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	sh, err := NewProfile("shuffled", shuffled...)
	if err != nil {
		t.Fatal(err)
	}
	if pr.pick != sh.pick {
		t.Errorf("the selectors depend on the profile's order:\n%v\n%v", base, shuffled)
	}
	for _, name := range base {
		if sc := lookupSyscall(name); pr.pick[sc.code] != sc {
			t.Errorf("selector %d does not name %s", sc.code, name)
		}
	}
	grown, err := NewProfile("grown", append(slices.Clone(base), "poll")...)
	if err != nil {
		t.Fatal(err)
	}
	poll, moved := lookupSyscall("poll"), 0
	for s := range pr.pick {
		if grown.pick[s] != pr.pick[s] {
			moved++
			if grown.pick[s] != poll {
				t.Errorf("selector %d moved from %s to %s, not to the added call", s, pr.pick[s].name, grown.pick[s].name)
			}
		}
	}
	if moved == 0 || moved > maxCode/2 {
		t.Errorf("adding a call moved %d selectors", moved)
	}
	if _, err := NewProfile("twice", "socket", "socket"); err == nil {
		t.Error("a call listed twice makes a profile")
	}
}

// TestVersionByte checks that Encode writes the version and Decode reads any first byte
// alike (a mutated version byte changes nothing).
func TestVersionByte(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 500; i++ {
		data := randomBytes(r, 1+r.IntN(200))
		p := Decode(data)
		enc, err := Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		if !IsCurrent(enc) {
			t.Fatalf("Encode wrote version %#x", enc[0])
		}
		data[0] ^= byte(1 + r.IntN(255))
		if !Decode(data).Equal(p) {
			t.Fatalf("input %x: the version byte changed the program", data)
		}
	}
}

// TestUpgrade converts random first-form (v0) inputs of each profile: the result is current,
// decodes to what v0 decoded, and converting it again leaves it as it is.
func TestUpgrade(t *testing.T) {
	acc, err := NewProfile("accept", "socket", "bind", "listen", "connect", "accept", "close", "shutdown",
		"setsockopt", "ioctl", "interrupt", "dup")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(9, 10))
	for _, pr := range []*Profile{AllCalls, acc} {
		for i := 0; i < 1000; i++ {
			data := randomBytes(r, r.IntN(300))
			if IsCurrent(data) {
				continue
			}
			out, changed, err := pr.Upgrade(data)
			if err != nil || !changed {
				t.Fatalf("%s: input %x: changed %v, %v", pr.Name, data, changed, err)
			}
			if !IsCurrent(out) || !pr.Decode(out).Equal(pr.decodeV0(data)) {
				t.Fatalf("%s: input %x: converted to %x, another program", pr.Name, data, out)
			}
			again, changed, err := pr.Upgrade(out)
			if err != nil || changed || !slices.Equal(again, out) {
				t.Fatalf("%s: converting %x again: %x, %v, %v", pr.Name, out, again, changed, err)
			}
		}
	}
}
