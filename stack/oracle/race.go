package oracle

import (
	"fmt"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// Races is the data-race oracle: one report per race of the substrate's happens-before
// detector (Controlled mode). The title names the word and the two sites, sorted, so that it is
// the same whichever access came first.
type Races struct{}

// Quiescent implements Oracle; races are judged at the end.
func (Races) Quiescent(*sched.Result, *Reporter) {}

// Finish implements Oracle.
func (Races) Finish(end *End, r *Reporter) {
	for _, race := range end.Result.Races {
		r.Report(DataRace, raceTitle(race), race.String(), race.Cur.Thread, race.Cur.Step)
	}
}

// raceTitle is the stable title of a race.
func raceTitle(r sched.Race) string {
	a, b := Stable(r.Prev.Site), Stable(r.Cur.Site)
	if b < a {
		a, b = b, a
	}
	return fmt.Sprintf("data race on %s: %s vs %s", Stable(r.Word), a, b)
}
