package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/garage-web/garage-web/internal/delayproxy"
)

// echoServers starts a TCP and a UDP echo server on one free loopback
// port and returns its address.
func echoServers(t *testing.T) string {
	t.Helper()
	var tl net.Listener
	var ul net.PacketConn
	for try := 0; ; try++ {
		ports, err := freePorts(1)
		if err != nil {
			t.Fatal(err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
		if tl, err = net.Listen("tcp", addr); err == nil {
			if ul, err = net.ListenPacket("udp", addr); err == nil {
				break
			}
			tl.Close()
		}
		if try == 5 {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { tl.Close(); ul.Close() })
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := ul.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = ul.WriteTo(buf[:n], from)
		}
	}()
	return tl.Addr().String()
}

func newTestProxy(t *testing.T, upstream string, oneWay time.Duration, udp bool) (*delayproxy.Proxy, string) {
	t.Helper()
	for try := 0; ; try++ {
		ports, err := freePorts(1)
		if err != nil {
			t.Fatal(err)
		}
		listen := fmt.Sprintf("127.0.0.1:%d", ports[0])
		p, err := delayproxy.New("test", listen, upstream, oneWay, udp)
		if err == nil {
			t.Cleanup(p.Close)
			return p, listen
		}
		if try == 5 {
			t.Fatal(err)
		}
	}
}

// TestDelayProxy checks that bytes and datagrams go through unchanged and
// that no round trip is shorter than the two delays (a lower bound, true
// however loaded the machine is); then that SetDelay(0) keeps forwarding.
func TestDelayProxy(t *testing.T) {
	const oneWay = 30 * time.Millisecond
	p, addr := newTestProxy(t, echoServers(t), oneWay, true)

	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB: more than one chunk
	tcpRound := func(msg string) time.Duration {
		t.Helper()
		t0 := time.Now()
		go func() { _, _ = io.WriteString(c, msg) }()
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
		if string(got) != msg {
			t.Fatalf("tcp echo of %d bytes came back different", len(msg))
		}
		return time.Since(t0)
	}
	for _, msg := range []string{"ping", big} {
		if d := tcpRound(msg); d < 2*oneWay {
			t.Fatalf("tcp round trip of %d bytes took %v through the proxy, want >= %v", len(msg), d, 2*oneWay)
		}
	}

	u, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	udpRound := func(msg string) (time.Duration, bool) {
		t0 := time.Now()
		if _, err := u.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		if err := u.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2048)
		n, err := u.Read(buf)
		if err != nil {
			return 0, false // UDP may drop: the caller retries
		}
		if string(buf[:n]) != msg {
			t.Fatalf("udp echo: got %q want %q", buf[:n], msg)
		}
		return time.Since(t0), true
	}
	got := false
	for try := 0; try < 5 && !got; try++ {
		var d time.Duration
		if d, got = udpRound(fmt.Sprint("gossip ", try)); got && d < 2*oneWay {
			t.Fatalf("udp round trip %v through the proxy, want >= %v", d, 2*oneWay)
		}
	}
	if !got {
		t.Fatal("no udp echo through the proxy in 5 tries")
	}

	if err := p.SetDelay(0); err != nil {
		t.Fatal(err)
	}
	tcpRound("after") // still forwards
	got = false
	for try := 0; try < 5 && !got; try++ {
		_, got = udpRound("after")
	}
	if !got {
		t.Fatal("no udp echo after SetDelay(0)")
	}
}

// slowCeiling is the in-process ceiling reached through a delayproxy.Proxy: a
// DelayLauncher for testing ClusterSuite without real servers.
type slowCeiling struct {
	Ceiling
	oneWay time.Duration
	proxy  *delayproxy.Proxy
	delays []time.Duration
}

func (s *slowCeiling) Setup() string { return "ceiling behind one proxy" }

func (s *slowCeiling) Start(ctx context.Context, dir string) (*Target, error) {
	t, err := s.Ceiling.Start(ctx, dir)
	if err != nil {
		return nil, err
	}
	up := strings.TrimPrefix(t.Endpoints[0], "http://")
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	listen := fmt.Sprintf("127.0.0.1:%d", ports[0])
	if s.proxy, err = delayproxy.New("ceiling", listen, up, s.oneWay, false); err != nil {
		return nil, err
	}
	t.Endpoints = []string{"http://" + listen}
	return t, nil
}

func (s *slowCeiling) SetDelay(d time.Duration) error {
	s.delays = append(s.delays, d)
	return s.proxy.SetDelay(d)
}

func (s *slowCeiling) Stop() error {
	if s.proxy != nil {
		s.proxy.Close()
	}
	return s.Ceiling.Stop()
}

// TestClusterSuiteOnSlowCeiling runs the latency scenario with a delay and
// its baseline, and checks figures, goals and the Markdown.
func TestClusterSuiteOnSlowCeiling(t *testing.T) {
	const oneWay = 20 * time.Millisecond
	l := &slowCeiling{oneWay: oneWay}
	s := &ClusterSuite{
		OneWay: oneWay, Baseline: true, Launchers: []DelayLauncher{l}, WorkDir: t.TempDir(),
		Latency: LatencyRun{Ops: 4, Warmup: 1, Sizes: []int64{1 << 10, 256 << 10}, Payload: NewPayload(3), IdleOps: 2, Idle: 10 * time.Millisecond},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := s.Run(ctx, Machine{Nproc: 1, Command: "test"})
	if len(r.Targets) != 1 || r.Targets[0].Error != "" {
		t.Fatalf("targets: %+v", r.Targets)
	}
	if fmt.Sprint(l.delays) != fmt.Sprint([]time.Duration{oneWay, 0}) {
		t.Fatalf("delays set: %v, want [%v 0s]", l.delays, oneWay)
	}
	if len(r.Figures) != 9 {
		t.Fatalf("%d figures, want 9 (2 sizes × PUT/GET × 2 delays, one idle GET with the delay): %+v", len(r.Figures), r.Figures)
	}
	for _, f := range r.Figures {
		want := 4
		if f.Op == OpIdleGET {
			want = 2
		}
		if f.Ops != want || f.Errors != 0 {
			t.Errorf("%s at %v: %d ops, %d errors (%s)", f.Name(), f.OneWay, f.Ops, f.Errors, f.FirstError)
		}
		// Every request crosses the proxy at least once each way.
		if f.OneWay > 0 && f.P50 < 2*f.OneWay {
			t.Errorf("%s: p50 %v below one round trip %v", f.Name(), f.P50, 2*f.OneWay)
		}
		if f.P90 < f.P50 || f.Max < f.P90 {
			t.Errorf("%s: p50 %v p90 %v max %v out of order", f.Name(), f.P50, f.P90, f.Max)
		}
	}
	gs := r.Goals("ceiling")
	if len(gs) != 3 {
		t.Fatalf("goals: %+v", gs)
	}
	for _, g := range gs {
		if g.Met != "yes" && g.Met != "no" {
			t.Errorf("goal %s: met %q, want yes or no", g.Name, g.Met)
		}
	}
	var md strings.Builder
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#### Targets of issue 8", "| ceiling | 1KiB PUT | 4 | 0 |", "| ceiling | 256KiB GET | 4 | 0 |", "| ceiling | 1KiB GET after idle | 2 | 0 |", "RTT 40.0 ms"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
	if p := r.Problems(); len(p) != 0 {
		t.Errorf("problems: %v", p)
	}
}

// TestClusterReportGoals checks the goal arithmetic on fixed figures.
func TestClusterReportGoals(t *testing.T) {
	const ow = 25 * time.Millisecond
	ms := time.Millisecond
	r := &ClusterReport{OneWay: ow, Figures: []LatencyFigure{
		{Target: "g", OneWay: ow, Op: "PUT", Size: 1 << 10, Ops: 1, P50: 59 * ms},
		{Target: "g", OneWay: ow, Op: "GET", Size: 1 << 10, Ops: 1, P50: 51 * ms},
		{Target: "g", OneWay: ow, Op: "PUT", Size: 1 << 20, Ops: 1, P50: 119 * ms},
		{Target: "g", OneWay: 0, Op: "PUT", Size: 1 << 20, Ops: 1, P50: 20 * ms},
	}}
	gs := r.Goals("g")
	var met []string
	for _, g := range gs {
		met = append(met, g.Met)
	}
	// 59 ≤ 50+10; 51 > 50; 119 ≤ 2×50+20.
	if got := strings.Join(met, ","); got != "yes,no,yes" {
		t.Fatalf("met = %s, want yes,no,yes: %+v", got, gs)
	}
	r.Figures = r.Figures[:3] // no baseline: the large PUT cannot be judged
	if g := r.Goals("g")[2]; !strings.HasPrefix(g.Met, "unknown") {
		t.Fatalf("large PUT without baseline: met %q", g.Met)
	}
}
