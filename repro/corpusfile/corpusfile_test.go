package corpusfile

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	fuzzheaders "github.com/AdaLogics/go-fuzz-headers"
)

// TestGoWrittenFile reads a file go test -fuzz wrote, and writes it back byte for byte.
func TestGoWrittenFile(t *testing.T) {
	src, err := os.ReadFile("testdata/go-written")
	if err != nil {
		t.Fatal(err)
	}
	data, err := UnmarshalGo("testdata/go-written", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		t.Fatal("empty value")
	}
	if got := MarshalGo(data); !bytes.Equal(got, src) {
		t.Errorf("MarshalGo = %q, want the file %q", got, src)
	}
	// go test -fuzz named the file this way.
	if got, want := GoName(src), "24e50dbd4d228676"; got != want {
		t.Errorf("GoName = %s, want %s", got, want)
	}
}

func TestUnmarshalGo(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // the value, when wantErr is ""
		wantErr   string // "file:line: ..." prefix and a part of the message
	}{
		{"plain", "go test fuzz v1\n[]byte(\"ab\\x00\\n\")\n", "ab\x00\n", ""},
		{"raw string", "go test fuzz v1\n[]byte(`a\\x`)\n", "a\\x", ""},
		{"crlf and blanks", "go test fuzz v1\r\n\r\n  []byte(\"x\")  \r\n\n", "x", ""},
		{"spaces and comment", "go test fuzz v1\n[]byte( \"x\" ) // why\n", "x", ""},
		{"empty value", "go test fuzz v1\n[]byte(\"\")", "", ""},
		{"no header", "[]byte(\"x\")\n", "", "f:1: expected the header"},
		{"empty file", "", "", "f:1: expected the header"},
		{"other version", "go test fuzz v2\n[]byte(\"x\")\n", "", "f:1: expected the header"},
		{"no value", "go test fuzz v1\n\n", "", "f:3: expected a []byte"},
		{"two values", "go test fuzz v1\n[]byte(\"x\")\n[]byte(\"y\")\n", "", "f:3: expected one value"},
		{"string value", "go test fuzz v1\nstring(\"x\")\n", "", "f:2: expected []byte(\"...\"), found a value of type string"},
		{"int value", "go test fuzz v1\n\nint(3)\n", "", "f:3: expected []byte(\"...\"), found a value of type int"},
		{"array", "go test fuzz v1\n[2]byte(\"x\")\n", "", "f:2: expected []byte"},
		{"not a call", "go test fuzz v1\n\"x\"\n", "", "f:2: expected []byte(\"...\"), found no conversion"},
		{"bad quote", "go test fuzz v1\n[]byte(\"\\q\")\n", "", "f:2: expected []byte"},
		{"unterminated", "go test fuzz v1\n[]byte(\"x)\n", "", "f:2: expected []byte"},
		{"two args", "go test fuzz v1\n[]byte(\"x\", \"y\")\n", "", "f:2: expected []byte with one argument"},
		{"not a literal", "go test fuzz v1\n[]byte(x)\n", "", "f:2: expected a string literal"},
	}
	for _, tc := range tests {
		got, err := UnmarshalGo("f", []byte(tc.src))
		if tc.wantErr != "" {
			var se *SyntaxError
			if err == nil || !errors.As(err, &se) || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want a *SyntaxError starting %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: = %q, %v, want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestIsGo(t *testing.T) {
	for src, want := range map[string]bool{
		"go test fuzz v1\n[]byte(\"\")": true,
		"go test fuzz v1\r\n":           true,
		"go test fuzz v1":               true,
		"go test fuzz v10\n":            false,
		"# sockfuzz program v1\n":       false,
		"\x00\x00\x00\x02ab":            false,
	} {
		if got := IsGo([]byte(src)); got != want {
			t.Errorf("IsGo(%q) = %v, want %v", src, got, want)
		}
	}
}

// TestGoRoundTrip checks every byte value and some random strings survive a Go corpus file.
func TestGoRoundTrip(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	inputs := [][]byte{nil, all, []byte("\u00e9\U0001F600 valid UTF-8"), []byte("\xff\xfe")}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		b := make([]byte, r.IntN(64))
		for j := range b {
			b[j] = byte(r.UintN(256))
		}
		inputs = append(inputs, b)
	}
	for _, in := range inputs {
		got, err := UnmarshalGo("f", MarshalGo(in))
		if err != nil || !bytes.Equal(got, in) {
			t.Fatalf("round trip of %q = %q, %v", in, got, err)
		}
	}
}

// TestLibFuzzerMatchesGetBytes checks that UnmarshalLibFuzzer gives what the target receives
// from go-fuzz-headers' GetBytes, for marshalled inputs and for arbitrary (mutated) ones.
func TestLibFuzzerMatchesGetBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var inputs [][]byte
	for i := 0; i < 300; i++ {
		b := make([]byte, r.IntN(40))
		for j := range b {
			b[j] = byte(r.UintN(256))
		}
		inputs = append(inputs, b, MarshalLibFuzzer(b))
		if len(b) > 0 {
			b[0] = 0 // a small length field, as most real inputs have
			inputs = append(inputs, b)
		}
	}
	inputs = append(inputs, []byte{0, 0, 0, 0, 1, 2, 3}, []byte{0, 0, 0, 30, 1}, []byte{0, 0, 0, 1})
	for _, in := range inputs {
		want, wantErr := fuzzheaders.NewConsumer(in).GetBytes()
		got, exact, err := UnmarshalLibFuzzer(in)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("UnmarshalLibFuzzer(%x) = %x, %v; GetBytes gives %x, %v", in, got, err, want, wantErr)
		}
		if err == nil && exact != bytes.Equal(MarshalLibFuzzer(got), in) {
			t.Fatalf("UnmarshalLibFuzzer(%x): exact = %v", in, exact)
		}
	}
}

func TestLibFuzzerRoundTrip(t *testing.T) {
	for _, in := range [][]byte{nil, {0}, []byte("abc"), bytes.Repeat([]byte{7}, 30), bytes.Repeat([]byte{1}, 70000)} {
		enc := MarshalLibFuzzer(in)
		got, exact, err := UnmarshalLibFuzzer(enc)
		if err != nil || !exact || !bytes.Equal(got, in) {
			t.Errorf("round trip of %d bytes = %d bytes, exact %v, %v", len(in), len(got), exact, err)
		}
	}
}

func TestLibFuzzerTruncated(t *testing.T) {
	for _, in := range [][]byte{nil, {0}, {0, 0, 0}, {0, 0, 0, 5}} {
		if _, _, err := UnmarshalLibFuzzer(in); !errors.Is(err, ErrTruncated) {
			t.Errorf("UnmarshalLibFuzzer(%x) err = %v, want ErrTruncated", in, err)
		}
	}
	// A length past the end is what libFuzzer's mutations make: the target reads less.
	got, exact, err := UnmarshalLibFuzzer([]byte{0, 0, 0, 9, 'a', 'b', 'c', 'd'})
	if err != nil || exact || string(got) != "a" {
		t.Errorf("length 9 over 4 bytes = %q, exact %v, %v; want \"a\" (9 mod 4), inexact", got, exact, err)
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x")
	for _, content := range []string{"first", "second, longer"} {
		if err := WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("read back %q, %v; want %q", got, err, content)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the directory, want 1 (no temporary file left)", len(entries))
	}
	if err := WriteFile(filepath.Join(dir, "nosuch", "x"), nil, 0o644); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
}
