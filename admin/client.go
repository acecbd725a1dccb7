package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Client calls a node's admin API. It is safe for concurrent use.
type Client struct {
	base  string // "http://host:port", no trailing slash
	token string
	hc    *http.Client
}

// NewClient returns a client of the admin API at baseURL
// ("http://127.0.0.1:3903") authenticating with token. A nil hc means
// http.DefaultClient.
func NewClient(baseURL, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, hc: hc}
}

// BaseURL is the address the client talks to.
func (c *Client) BaseURL() string { return c.base }

// do calls an operation: GET when body is nil, POST with body as JSON
// otherwise, and decodes the answer into out unless it is nil. Error
// responses become *APIError.
func (c *Client) do(ctx context.Context, op string, query url.Values, body, out any) error {
	u := c.base + "/v2/" + op
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	method := http.MethodGet
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		method, rd = http.MethodPost, bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	return c.send(req, out)
}

func (c *Client) send(req *http.Request, out any) error {
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("admin API %s: reading response: %w", req.URL.Path, err)
	}
	if resp.StatusCode >= 300 {
		apiErr := &APIError{StatusCode: resp.StatusCode}
		if json.Unmarshal(data, &apiErr.ErrorResponse) != nil || apiErr.Code == "" {
			apiErr.Code = http.StatusText(resp.StatusCode)
			apiErr.Message = fmt.Sprintf("admin API %s: HTTP %d %s", req.URL.Path, resp.StatusCode, strings.TrimSpace(string(data)))
		}
		return apiErr
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("admin API %s: invalid response: %w", req.URL.Path, err)
	}
	return nil
}

// Health returns nil when /health reports the node healthy.
func (c *Client) Health(ctx context.Context) (HealthStatus, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/health", nil)
	if err != nil {
		return HealthStatus{}, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return HealthStatus{}, err
	}
	defer resp.Body.Close()
	var h HealthStatus
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return h, fmt.Errorf("admin API /health: invalid response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return h, fmt.Errorf("node %s: %s", h.Status, h.Message)
	}
	return h, nil
}

// NodeInfo calls GetNodeInfo.
func (c *Client) NodeInfo(ctx context.Context) (NodeInfo, error) {
	var out NodeInfo
	return out, c.do(ctx, "GetNodeInfo", nil, nil, &out)
}

// CreateKey calls CreateKey; the answer includes the secret key.
func (c *Client) CreateKey(ctx context.Context, req CreateKeyRequest) (KeyInfo, error) {
	var out KeyInfo
	return out, c.do(ctx, "CreateKey", nil, req, &out)
}

// ImportKey calls ImportKey.
func (c *Client) ImportKey(ctx context.Context, req ImportKeyRequest) (KeyInfo, error) {
	var out KeyInfo
	return out, c.do(ctx, "ImportKey", nil, req, &out)
}

// ListKeys calls ListKeys.
func (c *Client) ListKeys(ctx context.Context) ([]KeySummary, error) {
	var out []KeySummary
	return out, c.do(ctx, "ListKeys", nil, nil, &out)
}

// KeyQuery selects a key for GetKey: by ID, or by Search (exact id, exact
// name or unique id prefix).
type KeyQuery struct {
	ID, Search string
	ShowSecret bool
}

// GetKey calls GetKeyInfo.
func (c *Client) GetKey(ctx context.Context, q KeyQuery) (KeyInfo, error) {
	v := url.Values{}
	setIf(v, "id", q.ID)
	setIf(v, "search", q.Search)
	if q.ShowSecret {
		v.Set("showSecretKey", "true")
	}
	var out KeyInfo
	return out, c.do(ctx, "GetKeyInfo", v, nil, &out)
}

// UpdateKey calls UpdateKey on the key with the given id.
func (c *Client) UpdateKey(ctx context.Context, id string, req UpdateKeyRequest) (KeyInfo, error) {
	var out KeyInfo
	return out, c.do(ctx, "UpdateKey", url.Values{"id": {id}}, req, &out)
}

// DeleteKey calls DeleteKey.
func (c *Client) DeleteKey(ctx context.Context, id string) error {
	return c.do(ctx, "DeleteKey", url.Values{"id": {id}}, struct{}{}, nil)
}

// CreateBucket calls CreateBucket.
func (c *Client) CreateBucket(ctx context.Context, globalAlias string) (BucketInfo, error) {
	var out BucketInfo
	return out, c.do(ctx, "CreateBucket", nil, CreateBucketRequest{GlobalAlias: globalAlias}, &out)
}

// ListBuckets calls ListBuckets.
func (c *Client) ListBuckets(ctx context.Context) ([]BucketSummary, error) {
	var out []BucketSummary
	return out, c.do(ctx, "ListBuckets", nil, nil, &out)
}

// BucketQuery selects a bucket for GetBucket: by ID, by GlobalAlias, or
// by Search (exact alias, exact id or unique id prefix).
type BucketQuery struct {
	ID, GlobalAlias, Search string
}

// GetBucket calls GetBucketInfo.
func (c *Client) GetBucket(ctx context.Context, q BucketQuery) (BucketInfo, error) {
	v := url.Values{}
	setIf(v, "id", q.ID)
	setIf(v, "globalAlias", q.GlobalAlias)
	setIf(v, "search", q.Search)
	var out BucketInfo
	return out, c.do(ctx, "GetBucketInfo", v, nil, &out)
}

// UpdateBucket calls UpdateBucket on the bucket with the given id.
func (c *Client) UpdateBucket(ctx context.Context, id string, req UpdateBucketRequest) (BucketInfo, error) {
	var out BucketInfo
	return out, c.do(ctx, "UpdateBucket", url.Values{"id": {id}}, req, &out)
}

// DeleteBucket calls DeleteBucket.
func (c *Client) DeleteBucket(ctx context.Context, id string) error {
	return c.do(ctx, "DeleteBucket", url.Values{"id": {id}}, struct{}{}, nil)
}

// EmptyBucket calls EmptyBucket: it deletes up to limit objects of the
// bucket (0: the server's default); call it again while More is true.
func (c *Client) EmptyBucket(ctx context.Context, id string, limit int) (EmptyBucketResult, error) {
	q := url.Values{"id": {id}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out EmptyBucketResult
	return out, c.do(ctx, "EmptyBucket", q, struct{}{}, &out)
}

// AllowBucketKey calls AllowBucketKey.
func (c *Client) AllowBucketKey(ctx context.Context, req BucketKeyRequest) (BucketInfo, error) {
	var out BucketInfo
	return out, c.do(ctx, "AllowBucketKey", nil, req, &out)
}

// DenyBucketKey calls DenyBucketKey.
func (c *Client) DenyBucketKey(ctx context.Context, req BucketKeyRequest) (BucketInfo, error) {
	var out BucketInfo
	return out, c.do(ctx, "DenyBucketKey", nil, req, &out)
}

func setIf(v url.Values, k, s string) {
	if s != "" {
		v.Set(k, s)
	}
}
