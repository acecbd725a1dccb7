package e2e

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// spreadResolver sends each SDK request to the next node in turn. It keeps
// the host of the client's base endpoint (127.0.0.1, or s3.localhost for
// virtual-hosted-style clients, which dial 127.0.0.1 whatever the name) and
// puts in the port of the node whose turn it is; the SDK signs the request
// after resolving, so the signature covers the node it goes to. All nodes of
// an e2e cluster listen on 127.0.0.1, so a port names a node.
type spreadResolver struct {
	ports []string       // S3 port of each node
	next  *atomic.Uint64 // shared by every client of one sdkEnv
	inner s3.EndpointResolverV2
}

var _ s3.EndpointResolverV2 = (*spreadResolver)(nil)

func (r *spreadResolver) ResolveEndpoint(ctx context.Context, p s3.EndpointParameters) (smithyendpoints.Endpoint, error) {
	if p.Endpoint == nil {
		return smithyendpoints.Endpoint{}, fmt.Errorf("spread: the client has no base endpoint")
	}
	u, err := url.Parse(*p.Endpoint)
	if err != nil {
		return smithyendpoints.Endpoint{}, fmt.Errorf("spread: base endpoint %q: %w", *p.Endpoint, err)
	}
	i := (r.next.Add(1) - 1) % uint64(len(r.ports))
	u.Host = net.JoinHostPort(u.Hostname(), r.ports[i])
	p.Endpoint = aws.String(u.String())
	return r.inner.ResolveEndpoint(ctx, p)
}

// spreadOver is the client option that spreads requests over nodes, or nil
// for a single node (its client stays exactly as it was).
func spreadOver(nodes []*Node, next *atomic.Uint64) func(*s3.Options) {
	if len(nodes) < 2 {
		return nil
	}
	r := &spreadResolver{next: next, inner: s3.NewDefaultEndpointResolverV2()}
	for _, n := range nodes {
		_, port, _ := net.SplitHostPort(n.S3Addr)
		r.ports = append(r.ports, port)
	}
	return func(o *s3.Options) { o.EndpointResolverV2 = r }
}
