package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSignedPayloadHash covers bodies whose SHA-256 the request signs
// (x-amz-content-sha256: hex digest) at the sizes where the server stores
// a block under that digest without hashing it again (one block, and a
// multipart part of less than a block) and beyond: a right digest stores
// bytes that read back, a wrong one is refused with
// XAmzContentSHA256Mismatch and stores no block under either hash.
func TestSignedPayloadHash(t *testing.T) {
	e := newReplicatedSDKEnv(t) // node 0 takes the PUTs; up to 3 nodes, it holds every block
	ctx := e.ctx
	b := e.bucket(t, "payloadhash")
	rng := rand.New(rand.NewPCG(12, 1))
	body := func(n int) []byte {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		return p
	}
	signedPut := func(t *testing.T, url string, data []byte, claimed string) *http.Response {
		t.Helper()
		req := sdkReq(t, ctx, http.MethodPut, url, bytes.NewReader(data))
		req.ContentLength = int64(len(data))
		req.Header.Set("X-Amz-Content-Sha256", claimed)
		if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: e.key.ID, SecretAccessKey: e.key.Secret}, req, claimed, "s3", region, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := sdkHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	hexSum := func(p []byte) string { s := sha256.Sum256(p); return hex.EncodeToString(s[:]) }
	noBlockFile := func(t *testing.T, block []byte, what string) {
		t.Helper()
		for _, suffix := range []string{"", ".zst"} {
			if _, err := os.Stat(blockPath(e.n.DataDir, block) + suffix); err == nil {
				t.Errorf("%s: a block file holds the refused body\n%s", what, listBlockFiles(e.n.DataDir))
			}
		}
	}

	for _, tc := range []struct {
		name string
		size int
	}{
		{"OneBlock", 100 << 10},
		{"FullBlock", 1 << 20},
		{"ThreeBlocks", 3<<20 + 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objURL := e.n.S3URL() + "/" + b + "/" + tc.name
			good := body(tc.size)
			resp := signedPut(t, objURL, good, hexSum(good))
			sdkReadBody(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("signed PUT of %d bytes: HTTP %d", tc.size, resp.StatusCode)
			}
			e.wantObject(t, b, tc.name, good)

			bad := body(tc.size)
			other := body(tc.size)
			wantHTTPErr(t, signedPut(t, objURL, bad, hexSum(other)), "XAmzContentSHA256Mismatch", 400)
			e.wantObject(t, b, tc.name, good)
			if tc.size <= 1<<20 { // a larger body's first blocks are stored before its end, then released
				noBlockFile(t, bad, "body")
				noBlockFile(t, other, "claimed digest")
			}
		})
	}

	t.Run("SmallPart", func(t *testing.T) {
		m := e.createMPU(t, b, "parts")
		partURL := e.n.S3URL() + "/" + b + "/parts?partNumber=1&uploadId=" + url.QueryEscape(m.id)
		small := body(200 << 10)
		bad := body(200 << 10)
		wantHTTPErr(t, signedPut(t, partURL, bad, hexSum(small)), "XAmzContentSHA256Mismatch", 400)
		noBlockFile(t, bad, "part body")
		noBlockFile(t, small, "claimed part digest")
		resp := signedPut(t, partURL, small, hexSum(small))
		sdkReadBody(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("signed UploadPart: HTTP %d", resp.StatusCode)
		}
		if _, err := m.complete(types.CompletedPart{PartNumber: aws.Int32(1), ETag: aws.String(resp.Header.Get("ETag"))}); err != nil {
			t.Fatal(err)
		}
		e.wantObject(t, b, "parts", small)
	})
}
