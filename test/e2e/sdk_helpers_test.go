package e2e

// Helpers shared by the aws-sdk-go-v2 and minio-go suites (sdk_*_test.go,
// minio_test.go). Each top-level test starts its own node; subtests share
// it and use their own buckets and keys, so they stay independent. The
// suites that start with newReplicatedSDKEnv run on a cluster instead when
// GARAGE_WEB_E2E_CLUSTER is set (cluster_harness_test.go).

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Bounds for the SDK suites.
const (
	sdkTestTimeout = 4 * time.Minute  // one top-level test's context
	sdkHTTPTimeout = 60 * time.Second // one raw net/http request
)

// sdkEnv is a node (or a cluster) with one key allowed to create buckets
// and an SDK client for it that never retries (a retry would hide a server
// error). On a cluster every SDK request of every client of the env goes to
// the next node in turn, and so do the env's CLI calls (cliNode) and raw
// HTTP requests made with e.s3URL.
type sdkEnv struct {
	n       *Node          // node 0
	nodes   []*Node        // every node; just n on a single node
	next    *atomic.Uint64 // the node the next S3 request goes to
	nextCLI atomic.Uint64  // the node the next CLI call goes to
	key     Key
	c       *s3.Client
	ctx     context.Context
}

// newSDKEnv is an env on a single node, whatever GARAGE_WEB_E2E_CLUSTER
// says: for suites that rely on one node's process, files or metrics.
func newSDKEnv(t *testing.T) *sdkEnv {
	t.Helper()
	return newSDKEnvOn(t, []*Node{startNode(t)})
}

// newReplicatedSDKEnv is an env on a single node, or on a cluster of
// GARAGE_WEB_E2E_CLUSTER nodes when that is set: for suites whose every
// check must hold on a replicated cluster too, wherever each request lands.
func newReplicatedSDKEnv(t *testing.T) *sdkEnv {
	t.Helper()
	size := clusterSize(t)
	if size == 1 {
		return newSDKEnv(t)
	}
	nodes := startCluster(t, size, NodeOptions{})
	// Registered after the nodes' own cleanups, so it runs while they live.
	t.Cleanup(func() { wantRequestsOnEveryNode(t, nodes) })
	return newSDKEnvOn(t, nodes)
}

// wantRequestsOnEveryNode fails a passing test whose S3 requests did not
// reach every node: the cluster run would then prove less than it claims.
func wantRequestsOnEveryNode(t *testing.T, nodes []*Node) {
	if t.Failed() {
		return
	}
	var counts []string
	for _, n := range nodes {
		v, _ := n.Metric(t, "garageweb_s3_requests_total")
		counts = append(counts, fmt.Sprintf("%s=%.0f", n.name, v))
		if v == 0 {
			t.Errorf("no S3 request reached %s (%s): requests are not spread over the cluster", n.name, n.S3Addr)
		}
	}
	t.Logf("S3 requests per node: %s", strings.Join(counts, " "))
}

func newSDKEnvOn(t *testing.T, nodes []*Node) *sdkEnv {
	t.Helper()
	k := nodes[0].NewKey(t, "sdk-owner")
	ctx, cancel := context.WithTimeout(t.Context(), sdkTestTimeout)
	t.Cleanup(cancel)
	e := &sdkEnv{n: nodes[0], nodes: nodes, next: new(atomic.Uint64), key: k, ctx: ctx}
	e.c = e.client(k)
	return e
}

// noRetry makes every SDK call a single HTTP request.
func noRetry(o *s3.Options) { o.Retryer = aws.NopRetryer{} }

// client is an SDK client for k on e's node (or spread over e's nodes),
// without retries.
func (e *sdkEnv) client(k Key, optFns ...func(*s3.Options)) *s3.Client {
	opts := append([]func(*s3.Options){noRetry}, optFns...)
	if spread := spreadOver(e.nodes, e.next); spread != nil {
		opts = append(opts, spread)
	}
	return e.n.S3(k, opts...)
}

// cliNode is the node whose turn it is to run a CLI call (e.n on a single
// node): keys made and rights granted on one node are used through others.
func (e *sdkEnv) cliNode() *Node {
	return e.nodes[(e.nextCLI.Add(1)-1)%uint64(len(e.nodes))]
}

// s3URL is the path-style endpoint of the node whose turn it is.
func (e *sdkEnv) s3URL() string {
	return e.nodes[(e.next.Add(1)-1)%uint64(len(e.nodes))].S3URL()
}

// bucket creates a bucket over S3 with e's key.
func (e *sdkEnv) bucket(t *testing.T, name string) string {
	t.Helper()
	if _, err := e.c.CreateBucket(e.ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
	return name
}

// keyWithoutCreate is an access key with no rights at all.
func (e *sdkEnv) keyWithoutCreate(t *testing.T, name string) Key {
	t.Helper()
	out := e.cliNode().CLI(t, "key", "create", name, "--json")
	var k struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
	}
	if err := json.Unmarshal([]byte(out), &k); err != nil || k.AccessKeyID == "" {
		t.Fatalf("key create --json: %v: %q", err, out)
	}
	return Key{ID: k.AccessKeyID, Secret: k.SecretAccessKey}
}

// allow grants k the given rights ("--read", "--write", "--owner") on bucket.
func (e *sdkEnv) allow(t *testing.T, bucket string, k Key, rights ...string) {
	t.Helper()
	args := append([]string{"bucket", "allow"}, rights...)
	e.cliNode().CLI(t, append(args, bucket, "--key", k.ID)...)
}

// ---------------------------------------------------------------------------
// Errors

// wantAPIErr fails unless err is an S3 error with exactly code and status
// and a request id.
func wantAPIErr(t testing.TB, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want error %s (HTTP %d)", code, status)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got non-API error %v, want %s (HTTP %d)", err, code, status)
	}
	gotStatus := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		gotStatus = re.HTTPStatusCode()
	}
	if ae.ErrorCode() != code || gotStatus != status {
		t.Fatalf("got error %s (HTTP %d): %v; want %s (HTTP %d)", ae.ErrorCode(), gotStatus, err, code, status)
	}
	var rid interface{ ServiceRequestID() string }
	if errors.As(err, &rid) && rid.ServiceRequestID() == "" {
		t.Errorf("error %s (HTTP %d) carries no request id (x-amz-request-id)", code, status)
	}
}

// s3ErrorDoc is the S3 XML error body.
type s3ErrorDoc struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
}

// wantHTTPErr fails unless resp is an S3 XML error with code and status.
// It consumes and closes the body.
func wantHTTPErr(t testing.TB, resp *http.Response, code string, status int) {
	t.Helper()
	body := sdkReadBody(t, resp)
	var doc s3ErrorDoc
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("got HTTP %d with a body that is no S3 error (%v): %q; want %s (HTTP %d)", resp.StatusCode, err, clip(string(body)), code, status)
	}
	if resp.StatusCode != status || doc.Code != code {
		t.Fatalf("got %s (HTTP %d): %q; want %s (HTTP %d)", doc.Code, resp.StatusCode, doc.Message, code, status)
	}
	if doc.RequestID == "" && resp.Header.Get("X-Amz-Request-Id") == "" {
		t.Errorf("error %s carries no request id", code)
	}
}

func sdkReadBody(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading response body: %v", err)
	}
	return b
}

// ---------------------------------------------------------------------------
// Objects

func (e *sdkEnv) put(t testing.TB, c *s3.Client, bucket, key string, body []byte) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("PutObject %s/%s (%d bytes): %v", bucket, key, len(body), err)
	}
	return out
}

func (e *sdkEnv) get(t testing.TB, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject %s/%s: reading body: %v", bucket, key, err)
	}
	return b
}

// wantObject fails unless bucket/key reads back as want (with e's key).
func (e *sdkEnv) wantObject(t testing.TB, bucket, key string, want []byte) {
	t.Helper()
	got := e.get(t, e.c, bucket, key)
	if !bytes.Equal(got, want) {
		t.Fatalf("%s/%s: got %d bytes (sha256 %.12s), want %d bytes (sha256 %.12s)",
			bucket, key, len(got), sha256Hex(got), len(want), sha256Hex(want))
	}
}

// wantNoObject fails unless bucket/key does not exist (GET → NoSuchKey).
func (e *sdkEnv) wantNoObject(t testing.TB, bucket, key string) {
	t.Helper()
	_, err := e.c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	wantAPIErr(t, err, "NoSuchKey", 404)
}

// listAll lists every key under prefix with ListObjectsV2.
func (e *sdkEnv) listAll(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(e.c, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(e.ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2 %s prefix %q: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// wantKeys fails unless the keys under prefix are exactly want (sorted).
func (e *sdkEnv) wantKeys(t testing.TB, bucket, prefix string, want ...string) {
	t.Helper()
	got := e.listAll(t, bucket, prefix)
	if want == nil {
		want = []string{}
	}
	if got == nil {
		got = []string{}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("keys in %s under %q: got %q, want %q", bucket, prefix, got, want)
	}
}

// putMany uploads objects with a few workers.
func (e *sdkEnv) putMany(t testing.TB, bucket string, objs map[string][]byte) {
	t.Helper()
	keys := sortedKeys(objs)
	work := make(chan string)
	errs := make(chan error, len(keys))
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				_, err := e.c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(k), Body: bytes.NewReader(objs[k])})
				if err != nil {
					errs <- fmt.Errorf("PutObject %s: %w", k, err)
				}
			}
		}()
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func sdkMD5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func sdkMD5B64(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// sdkQuote is an ETag as S3 sends it.
func sdkQuote(s string) string { return `"` + s + `"` }

// multipartETag is S3's ETag of a completed multipart upload.
func multipartETag(parts ...[]byte) string {
	var all []byte
	for _, p := range parts {
		s := md5.Sum(p)
		all = append(all, s[:]...)
	}
	return sdkQuote(fmt.Sprintf("%s-%d", sdkMD5Hex(all), len(parts)))
}

// ---------------------------------------------------------------------------
// Raw HTTP

// sdkHTTP is a plain client for presigned URLs, POST uploads and
// preflights.
var sdkHTTP = &http.Client{Timeout: sdkHTTPTimeout}

// sdkSignedDo signs req with SigV4 for k (signed payload body) at signingTime
// and sends it.
func sdkSignedDo(t testing.TB, k Key, req *http.Request, body []byte, signingTime time.Time) *http.Response {
	t.Helper()
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	if err := v4.NewSigner().SignHTTP(req.Context(), aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret},
		req, hash, "s3", region, signingTime); err != nil {
		t.Fatalf("sign %s %s: %v", req.Method, req.URL, err)
	}
	resp, err := sdkHTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return resp
}

// sdkReq builds a request or fails the test.
func sdkReq(t testing.TB, ctx context.Context, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// sdkLoopbackDial dials 127.0.0.1 whatever host the URL names, so that
// `<bucket>.s3.localhost:PORT` reaches the node without DNS.
func sdkLoopbackDial() func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		return d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", port))
	}
}

// virtualHostClient is an SDK client using virtual-hosted-style addressing
// on the node's root domain ".s3.localhost".
func (e *sdkEnv) virtualHostClient(k Key) *s3.Client {
	_, port, _ := net.SplitHostPort(e.n.S3Addr)
	hc := awshttp.NewBuildableClient().WithTimeout(time.Minute).WithTransportOptions(func(tr *http.Transport) {
		tr.DialContext = sdkLoopbackDial()
	})
	return e.client(k, func(o *s3.Options) {
		o.BaseEndpoint = aws.String("http://s3.localhost:" + port)
		o.UsePathStyle = false
		o.HTTPClient = hc
	})
}

// ---------------------------------------------------------------------------
// SigV4 building blocks (for POST policies)

func sdkHMAC(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// sdkSigningKey is the SigV4 signing key for a date (YYYYMMDD) in region/s3.
func sdkSigningKey(secret, date string) []byte {
	k := sdkHMAC([]byte("AWS4"+secret), date)
	k = sdkHMAC(k, region)
	k = sdkHMAC(k, "s3")
	return sdkHMAC(k, "aws4_request")
}

// ---------------------------------------------------------------------------
// Misc

// sdkBucketInfo is the part of `garage-web bucket info NAME --json` the suite
// reads.
type sdkBucketInfo struct {
	ID            string `json:"id"`
	WebsiteAccess bool   `json:"websiteAccess"`
	WebsiteConfig *struct {
		IndexDocument string `json:"indexDocument"`
		ErrorDocument string `json:"errorDocument"`
	} `json:"websiteConfig"`
	Objects int64 `json:"objects"`
}

func (e *sdkEnv) bucketInfo(t testing.TB, name string) sdkBucketInfo {
	t.Helper()
	out := e.cliNode().CLI(t, "bucket", "info", name, "--json")
	var bi sdkBucketInfo
	if err := json.Unmarshal([]byte(out), &bi); err != nil {
		t.Fatalf("bucket info %s --json: not JSON (%v): %q", name, err, out)
	}
	return bi
}

// bucketNames lists e's buckets over S3.
func (e *sdkEnv) bucketNames(t testing.TB, c *s3.Client) []string {
	t.Helper()
	out, err := c.ListBuckets(e.ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	return names
}

func commonPrefixes(cps []types.CommonPrefix) []string {
	var out []string
	for _, cp := range cps {
		out = append(out, aws.ToString(cp.Prefix))
	}
	return out
}

func objectKeys(objs []types.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, aws.ToString(o.Key))
	}
	return out
}

// wantStrings compares two string lists (nil and empty are equal).
func wantStrings(t testing.TB, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}

// contains reports whether a comma-separated header value lists v
// (case-insensitive).
func headerLists(h, v string) bool {
	for _, p := range strings.Split(h, ",") {
		if strings.EqualFold(strings.TrimSpace(p), v) {
			return true
		}
	}
	return false
}
