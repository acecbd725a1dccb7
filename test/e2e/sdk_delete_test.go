package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

func identifiers(keys ...string) []types.ObjectIdentifier {
	ids := make([]types.ObjectIdentifier, len(keys))
	for i, k := range keys {
		ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
	}
	return ids
}

// TestSDKDeleteObjects covers DeleteObjects: verbose and Quiet results,
// missing keys, XML-special keys and malformed requests.
func TestSDKDeleteObjects(t *testing.T) {
	e := newReplicatedSDKEnv(t)
	ctx := e.ctx
	b := e.bucket(t, "multidel")
	odd := []string{"sp ace", "ünï/cödé", "a&b<c>d\"e'f", "plus+percent%25"}
	objs := map[string][]byte{"a": []byte("a"), "b": randBytes(1, 2<<20), "c": []byte("c"), "d": []byte("d")}
	for _, k := range odd {
		objs[k] = []byte(k)
	}
	e.putMany(t, b, objs)

	t.Run("Verbose", func(t *testing.T) {
		out, err := e.c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: identifiers("a", "b", "missing-1")}})
		if err != nil {
			t.Fatalf("DeleteObjects: %v", err)
		}
		var deleted []string
		for _, d := range out.Deleted {
			deleted = append(deleted, aws.ToString(d.Key))
		}
		sort.Strings(deleted)
		// AWS reports a key that does not exist as deleted.
		wantStrings(t, "Deleted", deleted, []string{"a", "b", "missing-1"})
		if len(out.Errors) != 0 {
			t.Fatalf("Errors: %+v", out.Errors)
		}
		e.wantNoObject(t, b, "a")
		e.wantNoObject(t, b, "b")
		wantStrings(t, "keys left", e.listAll(t, b, ""), sortedKeys(without(objs, "a", "b")))
	})

	t.Run("Quiet", func(t *testing.T) {
		out, err := e.c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: identifiers("c", "missing-2"), Quiet: aws.Bool(true)}})
		if err != nil {
			t.Fatalf("DeleteObjects Quiet: %v", err)
		}
		if len(out.Deleted) != 0 || len(out.Errors) != 0 {
			t.Fatalf("Quiet result lists Deleted %+v Errors %+v, want neither", out.Deleted, out.Errors)
		}
		e.wantNoObject(t, b, "c")
		wantStrings(t, "keys left", e.listAll(t, b, ""), sortedKeys(without(objs, "a", "b", "c")))
	})

	t.Run("SpecialKeys", func(t *testing.T) {
		out, err := e.c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: identifiers(odd...)}})
		if err != nil {
			t.Fatalf("DeleteObjects: %v", err)
		}
		var deleted []string
		for _, d := range out.Deleted {
			deleted = append(deleted, aws.ToString(d.Key))
		}
		sort.Strings(deleted)
		want := slices.Clone(odd)
		sort.Strings(want)
		wantStrings(t, "Deleted", deleted, want)
		e.wantKeys(t, b, "", "d")
	})

	t.Run("TooManyKeys", func(t *testing.T) {
		keys := make([]string, 1001)
		for i := range keys {
			keys[i] = fmt.Sprintf("k%04d", i)
		}
		keys[500] = "d"
		_, err := e.c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: identifiers(keys...)}})
		// AWS: at most 1000 keys per request, otherwise 400 MalformedXML.
		wantAPIErr(t, err, "MalformedXML", 400)
		e.wantKeys(t, b, "", "d")
	})

	t.Run("EmptyList", func(t *testing.T) {
		body := []byte(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></Delete>`)
		req := sdkReq(t, ctx, http.MethodPost, e.s3URL()+"/"+b+"?delete", nil)
		req.Header.Set("Content-MD5", sdkMD5B64(body))
		wantHTTPErr(t, sdkSignedDo(t, e.key, req, body, time.Now()), "MalformedXML", 400)
		e.wantKeys(t, b, "", "d")
	})

	t.Run("NotXML", func(t *testing.T) {
		body := []byte(`this is not xml`)
		req := sdkReq(t, ctx, http.MethodPost, e.s3URL()+"/"+b+"?delete", nil)
		req.Header.Set("Content-MD5", sdkMD5B64(body))
		wantHTTPErr(t, sdkSignedDo(t, e.key, req, body, time.Now()), "MalformedXML", 400)
		e.wantKeys(t, b, "", "d")
	})

	t.Run("NoWriteRight", func(t *testing.T) {
		reader := e.keyWithoutCreate(t, "multidel-reader")
		e.allow(t, b, reader, "--read")
		out, err := e.client(reader).DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: identifiers("d")}})
		// S3 checks s3:DeleteObject per key and reports AccessDenied in
		// <Error> entries; refusing the whole request with 403 AccessDenied
		// is equally safe. Either way nothing is deleted.
		var ae smithy.APIError
		switch {
		case errors.As(err, &ae):
			wantAPIErr(t, err, "AccessDenied", 403)
		case err != nil:
			t.Fatalf("DeleteObjects without write right: %v", err)
		default:
			if len(out.Deleted) != 0 || len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) != "AccessDenied" {
				t.Fatalf("DeleteObjects without write right: Deleted %+v Errors %+v, want one AccessDenied error", out.Deleted, out.Errors)
			}
		}
		e.wantObject(t, b, "d", []byte("d"))
	})

	t.Run("MissingBucket", func(t *testing.T) {
		_, err := e.c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("no-such-bucket"), Delete: &types.Delete{Objects: identifiers("x")}})
		wantAPIErr(t, err, "NoSuchBucket", 404)
	})

	t.Run("ManyKeysAtOnce", func(t *testing.T) {
		objs := map[string][]byte{}
		var keys []string
		for i := range 1000 {
			k := fmt.Sprintf("bulk/%04d", i)
			objs[k] = []byte(k)
			keys = append(keys, k)
		}
		e.putMany(t, b, objs)
		out, err := e.c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: identifiers(keys...), Quiet: aws.Bool(true)}})
		if err != nil || len(out.Errors) != 0 {
			t.Fatalf("DeleteObjects of 1000 keys: %v %+v", err, out)
		}
		e.wantKeys(t, b, "", "d")
		if !bytes.Equal(e.get(t, e.c, b, "d"), []byte("d")) {
			t.Fatal("d changed")
		}
	})
}

// without is a copy of m without keys.
func without(m map[string][]byte, keys ...string) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		if !slices.Contains(keys, k) {
			out[k] = v
		}
	}
	return out
}
