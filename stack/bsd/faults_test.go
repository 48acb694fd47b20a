package bsd

import (
	"strings"
	"testing"
)

// TestCatalog checks the fault catalog: one bit per fault in order, unique names, every entry
// documented with the bug it re-creates and an oracle (stack/oracle checks it exists), and names round-tripping.
func TestCatalog(t *testing.T) {
	var all Faults
	for i, fi := range Catalog {
		if fi.Fault != 1<<i {
			t.Errorf("%s: bit %#x, want %#x", fi.Name, fi.Fault, 1<<i)
		}
		if fi.Recreates == "" || fi.Oracle == "" {
			t.Errorf("%s: recreates %q, oracle %q", fi.Name, fi.Recreates, fi.Oracle)
		}
		got, err := ParseFaults([]string{fi.Name})
		if err != nil || got != fi.Fault {
			t.Errorf("ParseFaults(%s) = %#x, %v", fi.Name, got, err)
		}
		all |= fi.Fault
	}
	if all != AllFaults {
		t.Errorf("catalog covers %#x, AllFaults %#x", all, AllFaults)
	}
	if names := FaultNames(); len(names) != len(Catalog) || names[0] != Catalog[0].Name {
		t.Errorf("FaultNames() = %v", names)
	}
	if _, err := ParseFaults([]string{"abort-twice", "nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown name: %v", err)
	}
}
