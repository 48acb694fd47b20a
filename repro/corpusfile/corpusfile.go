// Package corpusfile reads and writes the files fuzzing engines keep one []byte input in: Go's
// corpus files ("go test fuzz v1", under testdata/fuzz/FuzzX/ and the fuzz cache) and the raw
// inputs of libFuzzer builds made by go-118-fuzz-build (OSS-Fuzz, ClusterFuzzLite).
//
// It knows nothing of programs: the byte codec in package repro turns the bytes into a program.
package corpusfile

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
)

// GoHeader is the first line of a Go corpus file.
const GoHeader = "go test fuzz v1"

// MarshalGo returns the Go corpus file of one []byte input, byte for byte what go test -fuzz
// writes (internal/fuzz's marshalCorpusFile).
func MarshalGo(data []byte) []byte {
	b := make([]byte, 0, len(GoHeader)+len(data)*2+12)
	b = append(b, GoHeader+"\n[]byte("...)
	b = strconv.AppendQuote(b, string(data))
	return append(b, ")\n"...)
}

// GoName is the name go test -fuzz gives a corpus file: the first 16 hex digits of the SHA-256
// of its content.
func GoName(file []byte) string {
	return fmt.Sprintf("%x", sha256.Sum256(file))[:16]
}

// IsGo reports whether src starts with the Go corpus header line.
func IsGo(src []byte) bool {
	line, _, _ := bytes.Cut(src, []byte("\n"))
	return string(bytes.TrimSuffix(line, []byte("\r"))) == GoHeader
}

// SyntaxError is an error in a Go corpus file: "file:line: what was expected".
type SyntaxError struct {
	File string
	Line int // from 1
	Msg  string
}

// Error returns "file:line: msg".
func (e *SyntaxError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// UnmarshalGo reads a Go corpus file that holds exactly one []byte value, as the fuzz targets
// take. It accepts what go test accepts for such a value: the header line (a trailing CR
// allowed), blank lines, spaces around the value, and []byte of an interpreted ("...") or raw
// (`...`) string literal. name is the file name errors carry; every error is a *SyntaxError.
func UnmarshalGo(name string, src []byte) ([]byte, error) {
	lines := bytes.Split(src, []byte("\n"))
	if !IsGo(src) {
		first := string(bytes.TrimSuffix(lines[0], []byte("\r")))
		if len(first) > 40 {
			first = first[:40] + "..."
		}
		return nil, &SyntaxError{name, 1, fmt.Sprintf("expected the header %q, found %q", GoHeader, first)}
	}
	var (
		val     []byte
		valLine int
	)
	for i, line := range lines[1:] {
		ln := i + 2
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if valLine != 0 {
			return nil, &SyntaxError{name, ln, fmt.Sprintf("expected one value (the fuzz targets take one []byte), found a second after line %d", valLine)}
		}
		v, err := parseBytesValue(line)
		if err != nil {
			return nil, &SyntaxError{name, ln, err.Error()}
		}
		val, valLine = v, ln
	}
	if valLine == 0 {
		return nil, &SyntaxError{name, len(lines), "expected a []byte(\"...\") value, found end of file"}
	}
	return val, nil
}

// parseBytesValue parses one value line as Go's parseCorpusValue does, accepting only []byte.
func parseBytesValue(line []byte) ([]byte, error) {
	expr, err := parser.ParseExprFrom(token.NewFileSet(), "", line, 0)
	if err != nil {
		return nil, fmt.Errorf("expected []byte(\"...\"): %v", err)
	}
	call, ok := expr.(*ast.CallExpr)
	if !ok {
		return nil, errors.New("expected []byte(\"...\"), found no conversion")
	}
	if at, ok := call.Fun.(*ast.ArrayType); !ok || at.Len != nil || !isIdent(at.Elt, "byte") {
		// Another type Go knows (string, int, ...): a corpus of another target.
		return nil, fmt.Errorf("expected []byte(\"...\"), found a value of type %s (the fuzz targets take one []byte)", typeName(call.Fun))
	}
	if len(call.Args) != 1 {
		return nil, fmt.Errorf("expected []byte with one argument, found %d", len(call.Args))
	}
	lit, ok := call.Args[0].(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return nil, errors.New("expected a string literal in []byte(...)")
	}
	s, err := strconv.Unquote(lit.Value)
	if err != nil {
		return nil, fmt.Errorf("bad string literal: %v", err)
	}
	return []byte(s), nil
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func typeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			return x.Name + "." + e.Sel.Name
		}
	case *ast.ArrayType:
		return "an array"
	}
	return "unknown"
}

// LibFuzzer inputs of a go-118-fuzz-build target with one []byte argument: the argument comes
// from go-fuzz-headers' GetBytes, a 4-byte big-endian length and then the bytes. GetBytes reads
// a length of 0 as 30 and takes a length other than the count of bytes left modulo that count,
// so that every input of 5 bytes or more runs the target.

// libFuzzerLenSize is the size of the length field.
const libFuzzerLenSize = 4

// ErrTruncated is wrapped by UnmarshalLibFuzzer's error for an input too short to run the target.
var ErrTruncated = errors.New("truncated libFuzzer input")

// MarshalLibFuzzer returns the libFuzzer input that passes data to the target.
func MarshalLibFuzzer(data []byte) []byte {
	if len(data) == 0 {
		// GetBytes needs a byte after the length; length 2 modulo 1 byte left takes none.
		return []byte{0, 0, 0, 2, 0}
	}
	out := binary.BigEndian.AppendUint32(make([]byte, 0, libFuzzerLenSize+len(data)), uint32(len(data)))
	return append(out, data...)
}

// UnmarshalLibFuzzer returns the bytes the target receives for a libFuzzer input, exactly as
// GetBytes computes them. exact is false when the length field does not match the bytes that
// follow (inputs libFuzzer mutated): the target then sees a prefix of them. An input too short
// to run the target (under 5 bytes) is an error wrapping ErrTruncated.
func UnmarshalLibFuzzer(src []byte) (data []byte, exact bool, err error) {
	if len(src) <= libFuzzerLenSize {
		return nil, false, fmt.Errorf("%w: %d bytes, want a 4-byte length and at least one byte (the target does not run on it)", ErrTruncated, len(src))
	}
	if uint64(len(src)) > 1<<32-1 {
		return nil, false, fmt.Errorf("libFuzzer input of %d bytes: too long", len(src))
	}
	n := binary.BigEndian.Uint32(src)
	left := uint32(len(src) - libFuzzerLenSize)
	if n == 0 {
		n = 30
	}
	if n != left {
		n %= left
	}
	data = src[libFuzzerLenSize : libFuzzerLenSize+n]
	return data, bytes.Equal(MarshalLibFuzzer(data), src), nil
}

// LibFuzzerName is the name libFuzzer gives a corpus file: the SHA-1 of its content in hex.
func LibFuzzerName(file []byte) string {
	return fmt.Sprintf("%x", sha1.Sum(file))
}

// WriteFile writes data to path atomically: a temporary file in the same directory, synced,
// then renamed over path, so that a reader never sees half a file.
func WriteFile(path string, data []byte, perm os.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
