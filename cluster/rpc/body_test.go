package rpc

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadBody(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 5000)
	big := bytes.Repeat([]byte("y"), maxPrealloc+1)
	cases := []struct {
		name            string
		r               io.Reader
		declared, limit int64
		want            []byte
		tooLong         bool
		fails           bool
	}{
		{name: "declared", r: bytes.NewReader(body), declared: 5000, limit: 8000, want: body},
		{name: "declared, one byte at a time", r: iotestOneByte(bytes.NewReader(body)), declared: 5000, limit: 8000, want: body},
		{name: "empty", r: strings.NewReader(""), declared: 0, limit: 10, want: []byte{}},
		{name: "undeclared", r: bytes.NewReader(body), declared: -1, limit: 8000, want: body},
		{name: "undeclared at the limit", r: bytes.NewReader(body), declared: -1, limit: 5000, want: body},
		{name: "undeclared over the limit", r: bytes.NewReader(body), declared: -1, limit: 4999, tooLong: true},
		{name: "declared over the limit", r: bytes.NewReader(body), declared: 5000, limit: 4999, tooLong: true},
		{name: "declared, above the preallocation bound", r: bytes.NewReader(big), declared: int64(len(big)), limit: 2 * maxPrealloc, want: big},
		{name: "declared above the bound, over the limit", r: bytes.NewReader(big), declared: int64(len(big)), limit: maxPrealloc, tooLong: true},
		{name: "shorter than declared", r: bytes.NewReader(body), declared: 6000, limit: 8000, fails: true},
		{name: "longer than declared", r: bytes.NewReader(body), declared: 4000, limit: 8000, fails: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := readBody(c.r, c.declared, c.limit)
			switch {
			case c.tooLong:
				if !errors.Is(err, errTooLong) {
					t.Fatalf("err = %v, want errTooLong", err)
				}
			case c.fails:
				if err == nil || errors.Is(err, errTooLong) {
					t.Fatalf("err = %v, want a read error", err)
				}
			case err != nil:
				t.Fatal(err)
			case !bytes.Equal(got, c.want):
				t.Fatalf("got %d bytes, want %d", len(got), len(c.want))
			}
		})
	}
}

// oneByte returns at most one byte per Read, as a slow network would.
type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func iotestOneByte(r io.Reader) io.Reader { return oneByte{r} }
