package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// metricsReader reads a garage-web node's Prometheus /metrics.
type metricsReader struct {
	url, token string
}

// settleTimeout bounds Settle: how long collection may take to catch up
// after a phase (gc_delay is one second in the bench config).
const settleTimeout = 2 * time.Minute

// read returns the samples of the named metrics (name, or name{labels}
// as exposed) that are present.
func (m *metricsReader) read(ctx context.Context) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url, nil)
	if err != nil {
		return nil, err
	}
	if m.token != "" {
		req.Header.Set("Authorization", "Bearer "+m.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	return parseMetrics(body), nil
}

// parseMetrics parses the Prometheus text format: sample name (with its
// labels as written) to value; comments and bad lines are skipped.
func parseMetrics(body []byte) map[string]float64 {
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out
}

// metaSize is garageweb_metadata_bytes.
func (m *metricsReader) metaSize(ctx context.Context) (int64, error) {
	s, err := m.read(ctx)
	if err != nil {
		return 0, err
	}
	v, ok := s["garageweb_metadata_bytes"]
	if !ok {
		return 0, fmt.Errorf("metrics: no garageweb_metadata_bytes")
	}
	return int64(v), nil
}

// Metric samples settle and collected read.
const (
	collectedObjects = `garageweb_table_gc_collected_total{table="objects"}`
	queuePending     = `garageweb_queue_tasks{state="pending"}`
)

// collected is how many object tombstones the table GC has removed.
func (m *metricsReader) collected(ctx context.Context) (int64, error) {
	s, err := m.read(ctx)
	if err != nil {
		return 0, err
	}
	return int64(s[collectedObjects]), nil
}

// settle waits until the table GC removed at least minCollected object
// tombstones in all and the task queue has nothing pending, polling, for
// at most settleTimeout.
func (m *metricsReader) settle(ctx context.Context, minCollected int64) error {
	ctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var last map[string]float64
	for {
		s, err := m.read(ctx)
		if err == nil {
			last = s
			if int64(s[collectedObjects]) >= minCollected && s[queuePending] == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("collection not done after %v (%v of %d tombstones collected, %v tasks queued): %w", settleTimeout,
				last[collectedObjects], minCollected, last[queuePending], ctx.Err())
		case <-tick.C:
		}
	}
}
