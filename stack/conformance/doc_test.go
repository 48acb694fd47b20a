package conformance_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/conformance"
)

// netstackDoc lists netstack's deviations from Linux for readers.
const netstackDoc = "../../docs/conformance-netstack.md"

// TestDeviationsDocumented checks that the document has the row of every netstack deviation
// of the table, and no row of a deviation the table no longer has.
func TestDeviationsDocumented(t *testing.T) {
	doc, err := os.ReadFile(netstackDoc)
	if err != nil {
		t.Fatal(err)
	}
	want := make(map[string]bool)
	for _, d := range conformance.Deviations() {
		row := docRow(d)
		want[row] = true
		if !strings.Contains(string(doc), row+" ") {
			t.Errorf("%s lacks the row\n%s", netstackDoc, row)
		}
	}
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		known := false
		for row := range want {
			known = known || strings.HasPrefix(line, row+" ")
		}
		if !known {
			t.Errorf("%s has a row the table does not: %s", netstackDoc, line)
		}
	}
}

// docRow renders a deviation's row up to its kind, pipes escaped; the document adds its cause.
func docRow(d conformance.Located) string {
	esc := strings.NewReplacer("|", `\|`).Replace
	return fmt.Sprintf("| `%s` | %d | `%s` | %s | %s | %s |", d.Scenario, d.Step, esc(d.Call),
		esc(conformance.FormatExpect(d.Op, d.Linux)), esc(conformance.FormatExpect(d.Op, d.Want)), d.Kind)
}
