package oracle

import (
	"fmt"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// The data-race oracle: one report per race of the substrate's happens-before detector
// (Controlled mode). The title names the word and the two sites, sorted, so that it is the same
// whichever access came first.

// raceTitle is the stable title of a race.
func raceTitle(r sched.Race) string {
	a, b := stable(r.Prev.Site), stable(r.Cur.Site)
	if b < a {
		a, b = b, a
	}
	return fmt.Sprintf("data race on %s: %s vs %s", stable(r.Word), a, b)
}

// checkRaces reports the races of a result.
func (c *Checker) checkRaces(res *sched.Result) {
	for _, r := range res.Races {
		c.report(DataRace, raceTitle(r), r.String(), r.Cur.Thread, r.Cur.Step)
	}
}
