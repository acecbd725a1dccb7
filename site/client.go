package site

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/garage-web/garage-web/model"
)

// Client talks to one node's S3 API with one access key.
type Client struct {
	endpoint string // "http://host:port", path-style
	region   string
	creds    aws.CredentialsProvider
	http     *http.Client
	s3       *s3.Client
}

// NewClient returns a client of the S3 API at endpoint (a URL) signing
// for region with the key id and secret.
func NewClient(endpoint, region, keyID, secret string) *Client {
	creds := credentials.NewStaticCredentialsProvider(keyID, secret, "")
	hc := &http.Client{Timeout: 10 * time.Minute}
	c := &Client{endpoint: strings.TrimRight(endpoint, "/"), region: region, creds: creds, http: hc}
	c.s3 = s3.New(s3.Options{
		BaseEndpoint: aws.String(c.endpoint), Region: region, Credentials: creds,
		UsePathStyle: true, HTTPClient: hc,
	})
	return c
}

// S3 returns the client's S3 client.
func (c *Client) S3() *s3.Client { return c.s3 }

// wireRequest and Info mirror the site extension's JSON (s3/site_ext.go).
type wireRequest struct {
	ID      string `json:"id,omitempty"`
	Message string `json:"message,omitempty"`
	Publish bool   `json:"publish,omitempty"`
	Domain  string `json:"domain,omitempty"`
	Keep    int    `json:"keep,omitempty"`
	MaxAge  string `json:"maxAge,omitempty"`
}

// Info is a site as the node describes it after an operation.
type Info struct {
	Site      string              `json:"site"`
	Deploy    *model.Deploy       `json:"deploy,omitempty"`
	Bucket    string              `json:"bucket,omitempty"`
	Base      string              `json:"base,omitempty"`
	Live      string              `json:"live"`
	Deploys   []model.Deploy      `json:"deploys,omitempty"`
	Domains   []string            `json:"domains,omitempty"`
	Retention model.SiteRetention `json:"retention"`
}

// Error is an S3 error document the node answered.
type Error struct {
	Status  int
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s (HTTP %d)", e.Code, e.Message, e.Status) }

// call runs one site extension operation.
func (c *Client) call(ctx context.Context, site, op string, in wireRequest) (Info, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return Info{}, err
	}
	u := c.endpoint + "/" + url.PathEscape(site) + "?x-garage-web-site=" + url.QueryEscape(op)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return Info{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	cr, err := c.creds.Retrieve(ctx)
	if err != nil {
		return Info{}, err
	}
	if err := v4.NewSigner().SignHTTP(ctx, cr, req, hash, "s3", c.region, time.Now()); err != nil {
		return Info{}, fmt.Errorf("sign request: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Info{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return Info{}, err
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{Status: resp.StatusCode}
		if xml.Unmarshal(data, e) != nil || e.Code == "" {
			e.Code, e.Message = http.StatusText(resp.StatusCode), strings.TrimSpace(string(data))
		}
		return Info{}, e
	}
	var out Info
	if err := json.Unmarshal(data, &out); err != nil {
		return Info{}, fmt.Errorf("site %s: malformed answer: %w", op, err)
	}
	return out, nil
}

// Info returns the site's deploys (newest first), live deploy and domains.
func (c *Client) Info(ctx context.Context, site string) (Info, error) {
	return c.call(ctx, site, "info", wireRequest{})
}

// Publish makes deploy id live.
func (c *Client) Publish(ctx context.Context, site, id string) (Info, error) {
	return c.call(ctx, site, "publish", wireRequest{ID: id})
}

// Rollback makes deploy id live again, or with id "" the deploy live
// before the current one.
func (c *Client) Rollback(ctx context.Context, site, id string) (Info, error) {
	return c.call(ctx, site, "rollback", wireRequest{ID: id})
}

// AddDomain maps a custom domain to the site.
func (c *Client) AddDomain(ctx context.Context, site, domain string) (Info, error) {
	return c.call(ctx, site, "domain-add", wireRequest{Domain: domain})
}

// RemoveDomain removes a custom domain of the site.
func (c *Client) RemoveDomain(ctx context.Context, site, domain string) (Info, error) {
	return c.call(ctx, site, "domain-remove", wireRequest{Domain: domain})
}

// SetRetention sets how many deploys (keep, 0: the default) and how old
// (maxAge, 0: no limit) the site keeps.
func (c *Client) SetRetention(ctx context.Context, site string, keep int, maxAge time.Duration) (Info, error) {
	in := wireRequest{Keep: keep}
	if maxAge > 0 {
		in.MaxAge = maxAge.String()
	}
	return c.call(ctx, site, "retention", in)
}
