package hot

import "testing"

func FuzzHot(f *testing.F) {
	f.Fuzz(func(t *testing.T, x int) { _ = Branchy(x) })
}
