package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/garage-web/garage-web/s3/s3err"
)

// PayloadSHA256 vouches for a body's digest only once the body ended and
// matched it.
func TestPayloadSHA256(t *testing.T) {
	data := bytes.Repeat([]byte("signed payload "), 5000)
	sum := sha256.Sum256(data)
	open := func(payload []byte, claimed string) *Result {
		t.Helper()
		r, _ := http.NewRequest(http.MethodPut, "http://127.0.0.1/b/k", bytes.NewReader(payload))
		res, err := body(r, "AK", modeHash, claimed, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	res := open(data, hex.EncodeToString(sum[:]))
	if res.PayloadSHA256 == nil {
		t.Fatal("no PayloadSHA256 for a signed digest")
	}
	if _, err := io.ReadFull(res.Body, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	if got := res.PayloadSHA256(); got != nil {
		t.Fatalf("before the end: %x, want nil", got)
	}
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		t.Fatal(err)
	}
	if got := res.PayloadSHA256(); !bytes.Equal(got, sum[:]) {
		t.Fatalf("at the end: %x, want %x", got, sum)
	}

	other := sha256.Sum256([]byte("other"))
	res = open(data, hex.EncodeToString(other[:]))
	if _, err := io.Copy(io.Discard, res.Body); !errors.Is(err, s3err.ErrXAmzContentSHA256Mismatch) {
		t.Fatalf("mismatch read: %v", err)
	}
	if got := res.PayloadSHA256(); got != nil {
		t.Fatalf("after a mismatch: %x, want nil", got)
	}

	r, _ := http.NewRequest(http.MethodPut, "http://127.0.0.1/b/k", bytes.NewReader(data))
	res, err := body(r, "AK", modeUnsigned, unsignedPayload, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.PayloadSHA256 != nil {
		t.Fatal("PayloadSHA256 set for an unsigned payload")
	}
}
