package cluster

// Helpers of the read-lease cluster tests (lease_cluster_test.go): a node's
// Prometheus metrics read through its admin API, waits on the lease gauge,
// and S3 clients that reach a node from inside its own network namespace
// (a client on the same host as a node that is cut off from its peers).

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Metric names the lease tests read (the node's spec: docs/architecture.md,
// "Reads from the local copy under read leases").
const (
	metricLeaseParts = "garageweb_read_lease_partitions"
	metricTableReads = "garageweb_table_reads_total"
	metricRPCCount   = "garageweb_rpc_call_duration_seconds_count"
	rpcTableGet      = "table.get"
	allPartitions    = 256
)

// sample is one series of a Prometheus text exposition.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// metrics is one scrape of a node's /metrics.
type metrics []sample

// Metrics scrapes the node's admin /metrics.
func (n *Node) Metrics(ctx context.Context) (metrics, error) {
	body, err := n.AdminGET(ctx, "/metrics")
	if err != nil {
		return nil, err
	}
	m, err := parseMetrics(string(body))
	if err != nil {
		return nil, fmt.Errorf("node %s: /metrics: %w", n.Name, err)
	}
	return m, nil
}

// parseMetrics reads the Prometheus text format (version 0.0.4): comment
// lines, then `name{l="v",...} value [timestamp]` per series.
func parseMetrics(text string) (metrics, error) {
	var out metrics
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s := sample{labels: map[string]string{}}
		rest := line
		if i := strings.IndexByte(line, '{'); i >= 0 {
			j := strings.LastIndexByte(line, '}')
			if j < i {
				return nil, fmt.Errorf("bad series %q", line)
			}
			s.name = line[:i]
			if err := parseLabels(line[i+1:j], s.labels); err != nil {
				return nil, fmt.Errorf("series %q: %w", line, err)
			}
			rest = strings.TrimSpace(line[j+1:])
		} else {
			sp := strings.IndexByte(line, ' ')
			if sp < 0 {
				return nil, fmt.Errorf("bad series %q", line)
			}
			s.name, rest = line[:sp], strings.TrimSpace(line[sp+1:])
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return nil, fmt.Errorf("series %q: no value", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("series %q: %w", line, err)
		}
		s.value = v
		out = append(out, s)
	}
	return out, nil
}

// parseLabels reads `a="x",b="y"` (values with \", \\ and \n escapes).
func parseLabels(s string, into map[string]string) error {
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), ",")) {
		eq := strings.IndexByte(s, '=')
		if eq < 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			return fmt.Errorf("bad labels at %q", s)
		}
		name := strings.TrimSpace(s[:eq])
		var v strings.Builder
		i := eq + 2
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					v.WriteByte('\n')
				default:
					v.WriteByte(s[i])
				}
				continue
			}
			v.WriteByte(s[i])
		}
		if i >= len(s) {
			return fmt.Errorf("unterminated label value at %q", s)
		}
		into[name] = v.String()
		s = s[i+1:]
	}
	return nil
}

// sum adds the values of the series called name whose labels include
// every pair of match; found tells whether any series matched.
func (m metrics) sum(name string, match map[string]string) (total float64, found bool) {
next:
	for _, s := range m {
		if s.name != name {
			continue
		}
		for k, v := range match {
			if s.labels[k] != v {
				continue next
			}
		}
		total += s.value
		found = true
	}
	return total, found
}

// leaseCounters is what the lease tests compare before and after a run of
// reads at one node.
type leaseCounters struct {
	partitions    float64 // garageweb_read_lease_partitions
	hasPartitions bool    // the gauge exists
	local, quorum float64 // garageweb_table_reads_total by path, every table
	hasReads      bool    // the reads counter has a series
	tableGetRPCs  float64 // table.get calls this node made, every peer
}

func (c leaseCounters) String() string {
	parts := "absent"
	if c.hasPartitions {
		parts = strconv.FormatFloat(c.partitions, 'f', -1, 64)
	}
	reads := "absent"
	if c.hasReads {
		reads = fmt.Sprintf("local %v, quorum %v", c.local, c.quorum)
	}
	return fmt.Sprintf("lease partitions %s; table reads %s; table.get RPCs sent %v", parts, reads, c.tableGetRPCs)
}

// LeaseCounters scrapes the node's lease and table-read metrics.
func (n *Node) LeaseCounters(ctx context.Context) (leaseCounters, error) {
	m, err := n.Metrics(ctx)
	if err != nil {
		return leaseCounters{}, err
	}
	var c leaseCounters
	c.partitions, c.hasPartitions = m.sum(metricLeaseParts, nil)
	var okL, okQ bool
	c.local, okL = m.sum(metricTableReads, map[string]string{"path": "local"})
	c.quorum, okQ = m.sum(metricTableReads, map[string]string{"path": "quorum"})
	c.hasReads = okL || okQ
	c.tableGetRPCs, _ = m.sum(metricRPCCount, map[string]string{"method": rpcTableGet})
	return c, nil
}

// waitLeasePartitions waits until the node reads at least want partitions
// from its own copy.
func waitLeasePartitions(ctx context.Context, n *Node, want int) error {
	return waitFor(ctx, fmt.Sprintf("%s to read %d partitions locally (%s)", n.Name, want, metricLeaseParts),
		func(ctx context.Context) error {
			c, err := n.LeaseCounters(ctx)
			if err != nil {
				return err
			}
			if !c.hasPartitions {
				return fmt.Errorf("no %s metric", metricLeaseParts)
			}
			if c.partitions < float64(want) {
				return fmt.Errorf("%v partitions", c.partitions)
			}
			return nil
		})
}

// withReadLease is a ClusterOptions.Configure setting read_lease.
func withReadLease(d string) func(*nodeConfig) {
	return func(c *nodeConfig) { c.ReadLease = d }
}

// hostDialer dials from inside the node's own network namespace (or the
// host's, for a node without one): a client on the node's host still
// reaches it when its link to the other hosts is cut.
func (c *Cluster) hostDialer(n *Node) func(context.Context, string, string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if c.Net == nil {
		return d.DialContext
	}
	ns := c.Net.HostNS(n.Name)
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var conn net.Conn
		err := inNamespace(ns, func() error {
			var err error
			conn, err = d.DialContext(ctx, network, addr)
			return err
		})
		return conn, err
	}
}

// LocalS3 is an S3 client of node n whose connections start in n's own
// namespace (Node.S3 dials from the hub, which a Cut cuts off too). Same
// settings as Node.S3: path-style, no retries.
func (c *Cluster) LocalS3(n *Node) *s3.Client {
	dial := c.hostDialer(n)
	cfg := aws.Config{
		Region:      s3Region,
		Credentials: credentials.NewStaticCredentialsProvider(c.Key.ID, c.Key.Secret, ""),
		HTTPClient: awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.DialContext = dial
			tr.MaxIdleConnsPerHost = 64
		}),
		Retryer: func() aws.Retryer { return aws.NopRetryer{} },
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String("http://" + n.S3Addr())
		o.UsePathStyle = true
	})
}
