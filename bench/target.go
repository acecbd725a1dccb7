package bench

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Target is a running S3 service under test.
type Target struct {
	Name string
	// Endpoints are base URLs of the S3 API ("http://127.0.0.1:3900").
	// With several, clients are spread over them round-robin.
	Endpoints []string
	// WebEndpoint is the base URL of the static-website endpoint, "" if
	// the target has none. Requests carry Host: <bucket>.<WebRootDomain>.
	WebEndpoint   string
	WebRootDomain string // e.g. "web.localhost"

	Region               string
	AccessKey, SecretKey string

	// PIDs are the server processes whose RSS and CPU are sampled.
	PIDs []int
	// DataDir is where the target stores object data (for information).
	DataDir string

	// MetaSize, if set, reads the size of the target's metadata store
	// (garage-web: its db.bolt, as garageweb_metadata_bytes); Collected
	// reads how many deleted objects its collection removed so far, and
	// Settle waits until that count reaches minCollected and its
	// background queue is empty. FeatureMetaSize scenarios need all three.
	MetaSize  func(ctx context.Context) (int64, error)
	Collected func(ctx context.Context) (int64, error)
	Settle    func(ctx context.Context, minCollected int64) error

	// Lacks lists features the target does not implement (e.g. "multipart",
	// "list"); scenarios needing them report Unavailable.
	Lacks map[string]bool
}

// Has reports whether the target implements feature.
func (t *Target) Has(feature string) bool {
	if feature == FeatureMetaSize && (t.MetaSize == nil || t.Collected == nil || t.Settle == nil) {
		return false
	}
	return !t.Lacks[feature]
}

// Features scenarios may need.
const (
	FeatureMultipart = "multipart"
	FeatureList      = "list"
	FeatureWebsite   = "website"
)

// Launcher starts a target and stops it.
type Launcher interface {
	// Name is the target's name in reports.
	Name() string
	// Start starts the target with its files under dir and returns once it
	// serves S3 requests.
	Start(ctx context.Context, dir string) (*Target, error)
	// Stop stops what Start started. Safe to call after a failed Start.
	Stop() error
}

// ClientOptions tune the S3 clients of a run.
type ClientOptions struct {
	// MaxConns is the connection-pool size per endpoint; at least the
	// number of concurrent clients.
	MaxConns int
	// SignPayload makes the client hash every body for SigV4 (as the SDK
	// does by default over plain HTTP). Off, requests carry
	// UNSIGNED-PAYLOAD, which spends the (shared) CPU on the server only.
	SignPayload bool
	// Timeout bounds one request.
	Timeout time.Duration
}

// NewClients makes one aws-sdk-go-v2 S3 client per endpoint of t: path
// style, static credentials, no checksums unless the API requires them.
func NewClients(t *Target, o ClientOptions) []*s3.Client {
	if o.MaxConns <= 0 {
		o.MaxConns = 64
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        o.MaxConns * len(t.Endpoints),
		MaxIdleConnsPerHost: o.MaxConns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	hc := &http.Client{Transport: transport, Timeout: o.Timeout}
	cfg := aws.Config{
		Region:                     t.Region,
		Credentials:                credentials.NewStaticCredentialsProvider(t.AccessKey, t.SecretKey, ""),
		HTTPClient:                 hc,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RetryMaxAttempts:           1,
	}
	var clients []*s3.Client
	for _, ep := range t.Endpoints {
		clients = append(clients, s3.NewFromConfig(cfg, func(so *s3.Options) {
			so.BaseEndpoint = aws.String(ep)
			so.UsePathStyle = true
			if !o.SignPayload {
				so.APIOptions = append(so.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
			}
		}))
	}
	return clients
}
