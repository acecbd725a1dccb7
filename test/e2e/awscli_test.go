package e2e

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestAWSCLI drives `aws s3` / `aws s3api` against one node: sync up and
// down, incremental sync, sync --delete, presigned URLs, head and list.
// Steps depend on each other, so the first failing step ends the test.
func TestAWSCLI(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "awscli")
	aws := n.AWS(t, k)
	const bucket = "aws-cli-bucket"
	remote := "s3://" + bucket + "/tree/"

	src := filepath.Join(t.TempDir(), "src")
	files := sampleTree(50 << 20)
	writeTree(t, src, files)

	steps := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"mb", func(t *testing.T) {
			out := aws.Must(t, "s3", "mb", "s3://"+bucket)
			if !strings.Contains(out, "make_bucket: "+bucket) {
				t.Fatalf("aws s3 mb output %q lacks make_bucket: %s", out, bucket)
			}
		}},
		{"sync-up", func(t *testing.T) {
			out := aws.Must(t, "s3", "sync", "--no-progress", src, remote)
			got := uploadedKeys(out, bucket)
			want := prefixed("tree/", sortedKeys(files))
			if !slices.Equal(got, want) {
				t.Fatalf("sync uploaded %d objects, want %d\n got: %q\nwant: %q\noutput:\n%s", len(got), len(want), got, want, clip(out))
			}
		}},
		{"sync-down-compare", func(t *testing.T) {
			down := filepath.Join(t.TempDir(), "down")
			aws.Must(t, "s3", "sync", "--no-progress", remote, down)
			compareTrees(t, files, readTree(t, down))
		}},
		{"sync-again-uploads-nothing", func(t *testing.T) {
			out := aws.Must(t, "s3", "sync", "--no-progress", src, remote)
			if got := uploadedKeys(out, bucket); len(got) != 0 {
				t.Fatalf("second sync with nothing changed uploaded %q\noutput:\n%s", got, out)
			}
		}},
		{"sync-modified-file-only", func(t *testing.T) {
			const rel = "a/b/c/deep.txt"
			files[rel] = append(files[rel], []byte("\nmodified line\n")...)
			writeTree(t, src, map[string][]byte{rel: files[rel]})
			out := aws.Must(t, "s3", "sync", "--no-progress", src, remote)
			if got, want := uploadedKeys(out, bucket), []string{"tree/" + rel}; !slices.Equal(got, want) {
				t.Fatalf("sync after modifying %s uploaded %q, want %q\noutput:\n%s", rel, got, want, out)
			}
			body := aws.Must(t, "s3", "cp", "--no-progress", "s3://"+bucket+"/tree/"+rel, "-")
			if body != string(files[rel]) {
				t.Fatalf("remote %s after re-upload: got %d bytes, want %d", rel, len(body), len(files[rel]))
			}
		}},
		{"sync-delete", func(t *testing.T) {
			const rel = "a/x.txt"
			if err := os.Remove(filepath.Join(src, filepath.FromSlash(rel))); err != nil {
				t.Fatal(err)
			}
			delete(files, rel)
			out := aws.Must(t, "s3", "sync", "--no-progress", "--delete", src, remote)
			if !strings.Contains(out, "delete: s3://"+bucket+"/tree/"+rel) {
				t.Fatalf("sync --delete output lacks the deletion of %s:\n%s", rel, out)
			}
			if got := uploadedKeys(out, bucket); len(got) != 0 {
				t.Fatalf("sync --delete also uploaded %q", got)
			}
			listed := lsRecursive(t, aws, "s3://"+bucket+"/")
			if want := prefixed("tree/", sortedKeys(files)); !slices.Equal(listed, want) {
				t.Fatalf("aws s3 ls --recursive after sync --delete:\n got: %q\nwant: %q", listed, want)
			}
			down := filepath.Join(t.TempDir(), "down2")
			aws.Must(t, "s3", "sync", "--no-progress", remote, down)
			compareTrees(t, files, readTree(t, down))
		}},
		{"presign", func(t *testing.T) {
			const rel = "été/naïve.txt"
			u := strings.TrimSpace(aws.Must(t, "s3", "presign", "s3://"+bucket+"/tree/"+rel, "--expires-in", "300"))
			if !strings.Contains(u, "X-Amz-Signature=") {
				t.Fatalf("presigned URL is not SigV4 (config not applied?): %s", u)
			}
			status, body := httpGet(t, u)
			if status != http.StatusOK || body != string(files[rel]) {
				t.Fatalf("GET presigned URL: status %d, body %q; want 200 and %q", status, body, files[rel])
			}

			// Tampered signature.
			pu, err := url.Parse(u)
			if err != nil {
				t.Fatal(err)
			}
			q := pu.Query()
			sig := q.Get("X-Amz-Signature")
			q.Set("X-Amz-Signature", flipHex(sig))
			bad := *pu
			bad.RawQuery = q.Encode()
			if status, body := httpGet(t, bad.String()); status != http.StatusForbidden {
				t.Errorf("GET presigned URL with tampered signature: status %d (body %q), want 403", status, body)
			}
			// Same signature, another object.
			other := *pu
			other.Path = "/" + bucket + "/tree/top.txt"
			other.RawPath = ""
			if status, body := httpGet(t, other.String()); status != http.StatusForbidden {
				t.Errorf("GET presigned URL reused for another key: status %d (body %q), want 403", status, body)
			}
			// Expired.
			u1 := strings.TrimSpace(aws.Must(t, "s3", "presign", "s3://"+bucket+"/tree/"+rel, "--expires-in", "1"))
			time.Sleep(2500 * time.Millisecond)
			if status, body := httpGet(t, u1); status != http.StatusForbidden {
				t.Errorf("GET expired presigned URL: status %d (body %q), want 403", status, body)
			}
		}},
		{"head-object", func(t *testing.T) {
			for _, tc := range []struct {
				rel      string
				wantETag string
			}{
				{"été/naïve.txt", fmt.Sprintf("%q", md5Hex(files["été/naïve.txt"]))},
				{"big.bin", ""}, // multipart: checked by suffix below
			} {
				out := aws.Must(t, "s3api", "head-object", "--bucket", bucket, "--key", "tree/"+tc.rel)
				var h struct {
					ContentLength int64
					ETag          string
				}
				if err := json.Unmarshal([]byte(out), &h); err != nil {
					t.Fatalf("head-object %s: %v: %s", tc.rel, err, out)
				}
				if h.ContentLength != int64(len(files[tc.rel])) {
					t.Errorf("head-object %s: ContentLength %d, want %d", tc.rel, h.ContentLength, len(files[tc.rel]))
				}
				if tc.wantETag != "" && h.ETag != tc.wantETag {
					t.Errorf("head-object %s: ETag %s, want %s (MD5 of a single-part object)", tc.rel, h.ETag, tc.wantETag)
				}
				if tc.wantETag == "" && !regexp.MustCompile(`^"[0-9a-f]{32}-7"$`).MatchString(h.ETag) {
					// aws-cli uploads 50 MiB in 8 MiB parts: 7 parts.
					t.Errorf("head-object %s: ETag %s, want a 7-part multipart ETag \"<md5>-7\"", tc.rel, h.ETag)
				}
			}
			if _, e, err := aws.Run("s3api", "head-object", "--bucket", bucket, "--key", "tree/no-such-key"); err == nil || !strings.Contains(e, "404") {
				t.Errorf("head-object on a missing key: err %v, stderr %q; want failure with 404", err, e)
			}
		}},
		{"list-objects-v2", func(t *testing.T) {
			type listing struct {
				Contents       []struct{ Key string }
				CommonPrefixes []struct{ Prefix string }
			}
			list := func(args ...string) (keys, prefixes []string) {
				out := aws.Must(t, append([]string{"s3api", "list-objects-v2", "--bucket", bucket}, args...)...)
				var l listing
				if strings.TrimSpace(out) != "" {
					if err := json.Unmarshal([]byte(out), &l); err != nil {
						t.Fatalf("list-objects-v2 %q: %v: %s", args, err, out)
					}
				}
				for _, c := range l.Contents {
					keys = append(keys, c.Key)
				}
				for _, p := range l.CommonPrefixes {
					prefixes = append(prefixes, p.Prefix)
				}
				sort.Strings(keys)
				sort.Strings(prefixes)
				return keys, prefixes
			}
			check := func(what string, got, want []string) {
				t.Helper()
				if !slices.Equal(got, want) {
					t.Errorf("%s:\n got: %q\nwant: %q", what, got, want)
				}
			}
			keys, prefixes := list("--prefix", "tree/", "--delimiter", "/")
			check("keys under tree/ with delimiter /", keys, []string{"tree/big.bin", "tree/empty.txt", "tree/top.txt"})
			check("common prefixes under tree/", prefixes, []string{"tree/a/", "tree/data/", "tree/sym/", "tree/with space/", "tree/été/"})

			keys, prefixes = list("--prefix", "tree/a/", "--delimiter", "/")
			check("keys under tree/a/", keys, nil)
			check("common prefixes under tree/a/", prefixes, []string{"tree/a/b/"})

			keys, prefixes = list("--prefix", "tree/été/")
			check("keys under tree/été/", keys, []string{"tree/été/naïve.txt", "tree/été/日本語 ファイル.txt"})
			check("common prefixes without delimiter", prefixes, nil)

			// Small pages: the CLI follows continuation tokens.
			keys, _ = list("--page-size", "3")
			check("all keys in pages of 3", keys, prefixed("tree/", sortedKeys(files)))

			keys, prefixes = list("--prefix", "nothing-here/", "--delimiter", "/")
			check("keys under an absent prefix", keys, nil)
			check("prefixes under an absent prefix", prefixes, nil)
		}},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.fn) {
			t.Fatalf("step %s failed; later steps depend on it", s.name)
		}
	}
}

var uploadLine = regexp.MustCompile(`(?m)^upload: .* to s3://([^/]+)/(.*)$`)

// uploadedKeys lists, sorted, the keys an `aws s3 sync` output says it uploaded to bucket.
func uploadedKeys(out, bucket string) []string {
	var keys []string
	for _, m := range uploadLine.FindAllStringSubmatch(out, -1) {
		if m[1] == bucket {
			keys = append(keys, strings.TrimRight(m[2], "\r"))
		}
	}
	sort.Strings(keys)
	return keys
}

var lsLine = regexp.MustCompile(`^\S+\s+\S+\s+\d+\s(.*)$`)

// lsRecursive returns the sorted keys `aws s3 ls --recursive URL` prints.
func lsRecursive(t *testing.T, aws *Tool, u string) []string {
	t.Helper()
	out := aws.Must(t, "s3", "ls", "--recursive", u)
	var keys []string
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		m := lsLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unparsable aws s3 ls line %q", line)
		}
		keys = append(keys, m[1])
	}
	sort.Strings(keys)
	return keys
}

func prefixed(p string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	sort.Strings(out)
	return out
}

func httpGet(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", u, err)
	}
	return resp.StatusCode, string(b)
}

// flipHex changes the last hex digit of s.
func flipHex(s string) string {
	if s == "" {
		return "0"
	}
	last := s[len(s)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return s[:len(s)-1] + string(repl)
}

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}
