package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/admin"
	"github.com/garage-web/garage-web/admin/admintest"
)

const testToken = "admin-secret"

type testServer struct {
	backend *admintest.Backend
	srv     *httptest.Server
	client  *admin.Client
}

// mustServer starts an admin API over an in-memory backend.
func mustServer(t testing.TB, opts admin.Options) *testServer {
	t.Helper()
	b := admintest.New()
	if opts.Backend == nil {
		opts.Backend = b
	}
	if opts.AdminToken == "" {
		opts.AdminToken = testToken
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	s, err := admin.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &testServer{backend: b, srv: srv, client: admin.NewClient(srv.URL, testToken, srv.Client())}
}

// call makes a raw request and returns status and body.
func (ts *testServer) call(t testing.TB, method, path, token, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := ts.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestNewServerNeedsBackendAndToken(t *testing.T) {
	if _, err := admin.NewServer(admin.Options{AdminToken: "x"}); err == nil {
		t.Error("no error without a backend")
	}
	if _, err := admin.NewServer(admin.Options{Backend: admintest.New()}); err == nil {
		t.Error("no error without a token")
	}
}

func TestAuth(t *testing.T) {
	ts := mustServer(t, admin.Options{MetricsToken: "metrics-secret", Registry: prometheus.NewRegistry()})
	tests := []struct {
		name, method, path, token string
		status                    int
		code                      string
	}{
		{"health is open", "GET", "/health", "", 200, ""},
		{"v2 needs a token", "GET", "/v2/ListKeys", "", 401, "Unauthorized"},
		{"v2 wrong token", "GET", "/v2/ListKeys", "nope", 403, "AccessDenied"},
		{"v2 metrics token is not the admin token", "GET", "/v2/ListKeys", "metrics-secret", 403, "AccessDenied"},
		{"v2 right token", "GET", "/v2/ListKeys", testToken, 200, ""},
		{"post needs a token", "POST", "/v2/CreateKey", "", 401, "Unauthorized"},
		{"metrics needs its token", "GET", "/metrics", "", 401, "Unauthorized"},
		{"metrics wrong token", "GET", "/metrics", testToken, 403, "AccessDenied"},
		{"metrics right token", "GET", "/metrics", "metrics-secret", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := ts.call(t, tt.method, tt.path, tt.token, "")
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			if tt.code != "" {
				var e admin.ErrorResponse
				if err := json.Unmarshal([]byte(body), &e); err != nil || e.Code != tt.code || e.Path != tt.path {
					t.Errorf("body %s, want code %s and path %s", body, tt.code, tt.path)
				}
			}
		})
	}
}

func TestNonBearerAuthorization(t *testing.T) {
	ts := mustServer(t, admin.Options{})
	req, _ := http.NewRequest("GET", ts.srv.URL+"/v2/ListKeys", nil)
	req.Header.Set("Authorization", "Basic "+testToken)
	resp, err := ts.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("status %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

func TestMetricsOpenWithoutToken(t *testing.T) {
	ts := mustServer(t, admin.Options{Registry: prometheus.NewRegistry()})
	ts.call(t, "GET", "/v2/ListKeys", testToken, "")
	status, body := ts.call(t, "GET", "/metrics", "", "")
	if status != 200 || !strings.Contains(body, `garageweb_admin_requests_total{operation="ListKeys",status="200"} 1`) {
		t.Errorf("status %d, body:\n%s", status, body)
	}
}

func TestMetricsWithoutRegistry(t *testing.T) {
	ts := mustServer(t, admin.Options{})
	if status, _ := ts.call(t, "GET", "/metrics", "", ""); status != 404 {
		t.Errorf("status %d, want 404", status)
	}
}

func TestTwoServersShareARegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	mustServer(t, admin.Options{Registry: reg})
	mustServer(t, admin.Options{Registry: reg})
}

func TestHealth(t *testing.T) {
	ts := mustServer(t, admin.Options{})
	status, body := ts.call(t, "GET", "/health", "", "")
	if status != 200 || strings.Join(strings.Fields(body), "") != `{"status":"healthy"}` {
		t.Errorf("ready: %d %s", status, body)
	}
	ts.backend.SetNotReady(errors.New("no quorum"))
	status, body = ts.call(t, "GET", "/health", "", "")
	if status != 503 || !strings.Contains(body, "no quorum") {
		t.Errorf("not ready: %d %s", status, body)
	}
	if _, err := ts.client.Health(context.Background()); err == nil {
		t.Error("client Health: no error when not ready")
	}
}

// TestRequests checks status and error code of requests, in order, on one
// server.
func TestRequests(t *testing.T) {
	ts := mustServer(t, admin.Options{})
	ctx := context.Background()
	key, _ := ts.backend.CreateKey(ctx, "alice", false)
	ts.backend.CreateKey(ctx, "twin", true)
	ts.backend.CreateKey(ctx, "twin", true)
	bucket, _ := ts.backend.CreateBucket(ctx, "photos")

	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string // error code, or a substring of a 200 body
	}{
		{"unknown operation", "GET", "/v2/Nope", "", 404, "NoSuchOperation"},
		{"wrong method", "POST", "/v2/ListKeys", "{}", 405, "MethodNotAllowed"},
		{"node info", "GET", "/v2/GetNodeInfo", "", 200, `"nodeId": "a1a1`},

		{"create key", "POST", "/v2/CreateKey", `{"name":"bob"}`, 200, `"secretAccessKey": "`},
		{"create key without body", "POST", "/v2/CreateKey", "", 200, `"name": ""`},
		{"create key bad JSON", "POST", "/v2/CreateKey", `{"name":`, 400, "InvalidRequest"},
		{"create key unknown field", "POST", "/v2/CreateKey", `{"nmae":"x"}`, 400, "InvalidRequest"},
		{"create key trailing data", "POST", "/v2/CreateKey", `{"name":"x"} {}`, 400, "InvalidRequest"},
		{"create key name in use", "POST", "/v2/CreateKey", `{"name":"alice"}`, 409, "KeyNameInUse"},
		{"create key name in use, forced", "POST", "/v2/CreateKey", `{"name":"bob","force":true}`, 200, `"name": "bob"`},
		{"list keys", "GET", "/v2/ListKeys", "", 200, `"name": "alice"`},
		{"key info by id hides secret", "GET", "/v2/GetKeyInfo?id=" + key.AccessKeyID, "", 200, `"buckets": []`},
		{"key info by name", "GET", "/v2/GetKeyInfo?search=alice", "", 200, key.AccessKeyID},
		{"key info by prefix", "GET", "/v2/GetKeyInfo?search=" + key.AccessKeyID[:8], "", 200, key.AccessKeyID},
		{"key info with secret", "GET", "/v2/GetKeyInfo?search=alice&showSecretKey=true", "", 200, key.SecretAccessKey},
		{"key info bad bool", "GET", "/v2/GetKeyInfo?search=alice&showSecretKey=maybe", "", 400, "InvalidRequest"},
		{"key info ambiguous name", "GET", "/v2/GetKeyInfo?search=twin", "", 400, "InvalidRequest"},
		{"key info no parameter", "GET", "/v2/GetKeyInfo", "", 400, "InvalidRequest"},
		{"key info two parameters", "GET", "/v2/GetKeyInfo?id=a&search=b", "", 400, "InvalidRequest"},
		{"key info unknown id", "GET", "/v2/GetKeyInfo?id=GKnope", "", 404, "NoSuchAccessKey"},
		{"key info unknown name", "GET", "/v2/GetKeyInfo?search=nobody", "", 404, "NoSuchAccessKey"},
		{"update key rename", "POST", "/v2/UpdateKey?id=" + key.AccessKeyID, `{"name":"alice2"}`, 200, `"name": "alice2"`},
		{"update key own name", "POST", "/v2/UpdateKey?id=" + key.AccessKeyID, `{"name":"alice2"}`, 200, `"name": "alice2"`},
		{"update key name in use", "POST", "/v2/UpdateKey?id=" + key.AccessKeyID, `{"name":"bob","allow":{"createBucket":true}}`, 409, "KeyNameInUse"},
		{"update key refused changed nothing", "GET", "/v2/GetKeyInfo?id=" + key.AccessKeyID, "", 200, `"createBucket": false`},
		{"update key name in use, forced", "POST", "/v2/UpdateKey?id=" + key.AccessKeyID, `{"name":"bob","force":true}`, 200, `"name": "bob"`},
		{"update key rename back", "POST", "/v2/UpdateKey?id=" + key.AccessKeyID, `{"name":"alice2"}`, 200, `"name": "alice2"`},
		{"update key allow", "POST", "/v2/UpdateKey?id=" + key.AccessKeyID, `{"allow":{"createBucket":true}}`, 200, `"createBucket": true`},
		{"update key deny", "POST", "/v2/UpdateKey?id=" + key.AccessKeyID, `{"deny":{"createBucket":true}}`, 200, `"createBucket": false`},
		{"update key both", "POST", "/v2/UpdateKey?id=" + key.AccessKeyID, `{"allow":{"createBucket":true},"deny":{"createBucket":true}}`, 400, "InvalidRequest"},
		{"update key no id", "POST", "/v2/UpdateKey", `{"name":"x"}`, 400, "InvalidRequest"},
		{"update unknown key", "POST", "/v2/UpdateKey?id=GKnope", `{"name":"x"}`, 404, "NoSuchAccessKey"},
		{"import key", "POST", "/v2/ImportKey", `{"accessKeyId":"GK0123456789abcdef01234567","secretAccessKey":"s","name":"imp"}`, 200, `"name": "imp"`},
		{"import key again", "POST", "/v2/ImportKey", `{"accessKeyId":"GK0123456789abcdef01234567","secretAccessKey":"s"}`, 409, "KeyAlreadyExists"},
		{"import key name in use", "POST", "/v2/ImportKey", `{"accessKeyId":"GK0123456789abcdef01234568","secretAccessKey":"s","name":"imp"}`, 409, "KeyNameInUse"},
		{"import key name in use, forced", "POST", "/v2/ImportKey", `{"accessKeyId":"GK0123456789abcdef01234568","secretAccessKey":"s","name":"imp","force":true}`, 200, `"name": "imp"`},
		{"import key malformed", "POST", "/v2/ImportKey", `{"accessKeyId":"AK","secretAccessKey":"s"}`, 400, "InvalidRequest"},
		{"import key missing secret", "POST", "/v2/ImportKey", `{"accessKeyId":"GK0123456789abcdef01234567"}`, 400, "InvalidRequest"},
		{"delete key", "POST", "/v2/DeleteKey?id=GK0123456789abcdef01234567", "", 200, ""},
		{"delete key again", "POST", "/v2/DeleteKey?id=GK0123456789abcdef01234567", "", 404, "NoSuchAccessKey"},

		{"create bucket", "POST", "/v2/CreateBucket", `{"globalAlias":"docs"}`, 200, `"websiteConfig": null`},
		{"create bucket exists", "POST", "/v2/CreateBucket", `{"globalAlias":"docs"}`, 409, "BucketAlreadyExists"},
		{"create bucket bad name", "POST", "/v2/CreateBucket", `{"globalAlias":"No_Way"}`, 400, "InvalidBucketName"},
		{"create bucket no alias", "POST", "/v2/CreateBucket", `{}`, 400, "InvalidRequest"},
		{"list buckets", "GET", "/v2/ListBuckets", "", 200, `"photos"`},
		{"bucket info by alias", "GET", "/v2/GetBucketInfo?globalAlias=photos", "", 200, bucket.ID},
		{"bucket info alias is exact", "GET", "/v2/GetBucketInfo?globalAlias=" + bucket.ID, "", 404, "NoSuchBucket"},
		{"bucket info by search", "GET", "/v2/GetBucketInfo?search=" + bucket.ID[:10], "", 200, `"photos"`},
		{"bucket info unknown", "GET", "/v2/GetBucketInfo?search=zzz", "", 404, "NoSuchBucket"},
		{"bucket info unknown id", "GET", "/v2/GetBucketInfo?id=00", "", 404, "NoSuchBucket"},
		{"website on", "POST", "/v2/UpdateBucket?id=" + bucket.ID, `{"websiteAccess":{"enabled":true,"indexDocument":"index.html","errorDocument":"404.html"}}`, 200, `"errorDocument": "404.html"`},
		{"website on needs index", "POST", "/v2/UpdateBucket?id=" + bucket.ID, `{"websiteAccess":{"enabled":true}}`, 400, "InvalidRequest"},
		{"website off", "POST", "/v2/UpdateBucket?id=" + bucket.ID, `{"websiteAccess":{"enabled":false}}`, 200, `"websiteAccess": false`},
		{"allow key", "POST", "/v2/AllowBucketKey", `{"bucketId":"` + bucket.ID + `","accessKeyId":"` + key.AccessKeyID + `","permissions":{"read":true,"write":true}}`, 200, `"write": true`},
		{"key lists bucket", "GET", "/v2/GetKeyInfo?id=" + key.AccessKeyID, "", 200, `"photos"`},
		{"deny key", "POST", "/v2/DenyBucketKey", `{"bucketId":"` + bucket.ID + `","accessKeyId":"` + key.AccessKeyID + `","permissions":{"write":true}}`, 200, `"write": false`},
		{"allow unknown key", "POST", "/v2/AllowBucketKey", `{"bucketId":"` + bucket.ID + `","accessKeyId":"GKnope","permissions":{"read":true}}`, 404, "NoSuchAccessKey"},
		{"allow unknown bucket", "POST", "/v2/AllowBucketKey", `{"bucketId":"00","accessKeyId":"` + key.AccessKeyID + `","permissions":{"read":true}}`, 404, "NoSuchBucket"},
		{"allow without ids", "POST", "/v2/AllowBucketKey", `{"permissions":{"read":true}}`, 400, "InvalidRequest"},
		{"delete bucket", "POST", "/v2/DeleteBucket?id=" + bucket.ID, "", 200, ""},
		{"delete bucket again", "POST", "/v2/DeleteBucket?id=" + bucket.ID, "", 404, "NoSuchBucket"},
	}
	for _, tt := range tests {
		status, body := ts.call(t, tt.method, tt.path, testToken, tt.body)
		if status != tt.status || !strings.Contains(body, tt.code) {
			t.Errorf("%s: got %d %s\nwant %d containing %q", tt.name, status, body, tt.status, tt.code)
		}
		if tt.name == "key info by id hides secret" && strings.Contains(body, "secretAccessKey") {
			t.Errorf("%s: secret in %s", tt.name, body)
		}
	}
}

func TestBodyTooLarge(t *testing.T) {
	ts := mustServer(t, admin.Options{})
	body := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
	status, resp := ts.call(t, "POST", "/v2/CreateKey", testToken, body)
	if status != 400 || !strings.Contains(resp, "larger than") {
		t.Errorf("got %d %s", status, resp)
	}
}

func TestDeleteNonEmptyBucket(t *testing.T) {
	ts := mustServer(t, admin.Options{})
	ctx := context.Background()
	b, _ := ts.client.CreateBucket(ctx, "full")
	if err := ts.backend.SetUsage(b.ID, 3, 300); err != nil {
		t.Fatal(err)
	}
	err := ts.client.DeleteBucket(ctx, b.ID)
	var apiErr *admin.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 409 || apiErr.Code != "BucketNotEmpty" {
		t.Fatalf("err = %#v", err)
	}
	if !errors.Is(err, admin.ErrBucketNotEmpty) || !errors.Is(err, admin.ErrConflict) {
		t.Error("client error does not match the sentinels")
	}
}

// failing is a backend whose ListKeys fails with an internal error.
type failing struct{ *admintest.Backend }

func (failing) ListKeys(context.Context) ([]admin.KeySummary, error) {
	return nil, errors.New("disk on fire at /var/secret/path")
}

func TestInternalErrorsAreNotSent(t *testing.T) {
	ts := mustServer(t, admin.Options{Backend: failing{admintest.New()}})
	status, body := ts.call(t, "GET", "/v2/ListKeys", testToken, "")
	if status != 500 || strings.Contains(body, "fire") || !strings.Contains(body, `"InternalError"`) {
		t.Errorf("got %d %s", status, body)
	}
}

func TestEmptyListsAreArrays(t *testing.T) {
	ts := mustServer(t, admin.Options{})
	for _, p := range []string{"/v2/ListKeys", "/v2/ListBuckets"} {
		if _, body := ts.call(t, "GET", p, testToken, ""); strings.TrimSpace(body) != "[]" {
			t.Errorf("%s: %s", p, body)
		}
	}
}

// panicking is a backend whose GetNodeInfo panics.
type panicking struct{ *admintest.Backend }

func (panicking) NodeInfo(context.Context) (admin.NodeInfo, error) { panic("boom") }

func TestPanicIsAnInternalError(t *testing.T) {
	ts := mustServer(t, admin.Options{Backend: panicking{admintest.New()}})
	status, body := ts.call(t, "GET", "/v2/GetNodeInfo", testToken, "")
	if status != 500 || !strings.Contains(body, `"InternalError"`) || strings.Contains(body, "boom") {
		t.Errorf("got %d %s", status, body)
	}
	// The server still serves.
	if status, _ := ts.call(t, "GET", "/health", "", ""); status != 200 {
		t.Errorf("after panic: %d", status)
	}
}

func TestPprofNeedsAdminToken(t *testing.T) {
	ts := mustServer(t, admin.Options{})
	if status, _ := ts.call(t, "GET", "/debug/pprof/", "", ""); status != http.StatusUnauthorized {
		t.Errorf("pprof without token: status %d, want 401", status)
	}
	status, body := ts.call(t, "GET", "/debug/pprof/goroutine?debug=1", testToken, "")
	if status != 200 || !strings.Contains(body, "goroutine profile") {
		t.Errorf("pprof goroutine profile: status %d, body %.200s", status, body)
	}
}
