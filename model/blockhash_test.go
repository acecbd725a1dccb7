package model

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"sync"
	"testing"

	"github.com/garage-web/garage-web/storage"
)

// hashCounting is a block store that counts the blocks it had to hash
// (Write) and those stored under their caller's hash (WriteHashed).
type hashCounting struct {
	*storage.BlockStore
	mu             sync.Mutex
	hashed, reused int
}

func (b *hashCounting) Write(ctx context.Context, data []byte) (storage.Hash, error) {
	b.mu.Lock()
	b.hashed++
	b.mu.Unlock()
	return b.BlockStore.Write(ctx, data)
}

func (b *hashCounting) WriteHashed(ctx context.Context, h storage.Hash, data []byte) error {
	b.mu.Lock()
	b.reused++
	b.mu.Unlock()
	return b.BlockStore.WriteHashed(ctx, h, data)
}

func (b *hashCounting) counts() (hashed, reused int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	hashed, reused = b.hashed, b.reused
	b.hashed, b.reused = 0, 0
	return hashed, reused
}

// signedBody is a body that knows its SHA-256 once read to its end, as a
// SigV4 signed payload does.
type signedBody struct {
	r   io.Reader
	sum [32]byte
	eof bool
}

func newSignedBody(data []byte) *signedBody {
	return &signedBody{r: bytes.NewReader(data), sum: sha256.Sum256(data)}
}

func (b *signedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (b *signedBody) sha256() []byte {
	if !b.eof {
		return nil
	}
	return b.sum[:]
}

// A body of one block whose SHA-256 is known is stored under it, not
// hashed again; larger bodies are hashed block by block, as they must.
func TestPutReusesBodySHA256(t *testing.T) {
	const bs = 64 << 10
	var counting *hashCounting
	e := openTestModelWith(t, t.TempDir(), nil, bs, func(b Blocks) Blocks {
		counting = &hashCounting{BlockStore: b.(*storage.BlockStore)}
		return counting
	})
	ctx := context.Background()
	for _, tc := range []struct {
		name           string
		size           int
		hashed, reused int
	}{
		{"OneBlock", 40 << 10, 0, 1},
		{"FullBlock", bs, 0, 1},
		{"TwoBlocks", bs + 1, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := randomData(tc.size, byte(tc.size%251))
			body := newSignedBody(data)
			sum := md5.Sum(data)
			v, err := e.m.PutObject(ctx, PutObjectInput{BucketID: "b", Key: tc.name, Body: body, Size: int64(len(data)),
				Digest:     func() (string, map[string]string) { return hex.EncodeToString(sum[:]), nil },
				BodySHA256: body.sha256})
			if err != nil {
				t.Fatal(err)
			}
			if hashed, reused := counting.counts(); hashed != tc.hashed || reused != tc.reused {
				t.Errorf("%d bytes: %d blocks hashed, %d stored under the body's SHA-256; want %d and %d", tc.size, hashed, reused, tc.hashed, tc.reused)
			}
			if tc.reused == 1 {
				h := v.Data.Parts[0].Blocks[0].Hash
				if want := storage.HashOf(data); !bytes.Equal(h, want[:]) {
					t.Fatalf("block address %x, want %x", h, want)
				}
			}
			r, err := e.m.Open(ctx, v, 0, v.Meta.Size)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read back: %v (%d bytes)", err, len(got))
			}
		})
	}

	t.Run("NotYetKnown", func(t *testing.T) {
		// A body that does not vouch for its hash (nil) is hashed.
		data := randomData(40<<10, 7)
		if _, err := e.m.PutObject(ctx, PutObjectInput{BucketID: "b", Key: "k", Body: bytes.NewReader(data), Size: int64(len(data)),
			Digest:     func() (string, map[string]string) { return "", nil },
			BodySHA256: func() []byte { return nil }}); err != nil {
			t.Fatal(err)
		}
		if hashed, reused := counting.counts(); hashed != 1 || reused != 0 {
			t.Errorf("%d hashed, %d reused; want 1 and 0", hashed, reused)
		}
	})

	t.Run("SmallPart", func(t *testing.T) {
		up, err := e.m.CreateUpload(ctx, "b", "mp", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			size           int
			hashed, reused int
		}{{bs - 1, 0, 1}, {bs, 1, 0}, {3 * bs, 3, 0}} {
			data := randomData(tc.size, 3)
			body := newSignedBody(data)
			if _, err := e.m.PutPart(ctx, PutPartInput{BucketID: "b", Key: "mp", UploadID: up, Number: 1, Body: body, Size: int64(tc.size),
				Digest: func() (string, map[string]string) { return "", nil }, BodySHA256: body.sha256}); err != nil {
				t.Fatal(err)
			}
			if hashed, reused := counting.counts(); hashed != tc.hashed || reused != tc.reused {
				t.Errorf("part of %d bytes: %d hashed, %d reused; want %d and %d", tc.size, hashed, reused, tc.hashed, tc.reused)
			}
		}
	})
}
