package repro

import (
	"errors"
	"fmt"
)

// CheckText parses arbitrary text and, when it parses, checks the text form: the program must
// be valid, and printing it and parsing the print must give the same program, printed the same.
// It returns nil for text that Parse rejects with a *SyntaxError and an error describing the
// difference otherwise. The text fuzz target calls it.
func CheckText(data []byte) error {
	p, err := Parse("input", data)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			return nil
		}
		return fmt.Errorf("check text: parse failed without a syntax error: %w", err)
	}
	if err := Validate(p); err != nil {
		return fmt.Errorf("check text: parsed program fails validation: %w", err)
	}
	text := p.String()
	q, err := Parse("printed", []byte(text))
	if err != nil {
		return fmt.Errorf("check text: printed program does not parse: %w\n%s", err, text)
	}
	if !p.Equal(q) {
		return fmt.Errorf("check text: printed program parses differently:\n%s\nreprinted:\n%s", text, q.String())
	}
	if again := q.String(); again != text {
		return fmt.Errorf("check text: print is not stable:\n%s\nthen:\n%s", text, again)
	}
	return nil
}
