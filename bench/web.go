package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// WebFile is one file of the benchmark website.
type WebFile struct {
	Name        string // file name on disk and object key
	URLPath     string // path requested ("/" for the index); "" is "/"+Name
	Size        int64
	ContentType string
}

// DefaultWebFiles are a small page and a large asset.
var DefaultWebFiles = []WebFile{
	{Name: "index.html", URLPath: "/", Size: 4 << 10, ContentType: "text/html"},
	{Name: "large.bin", Size: 1 << 20, ContentType: "application/octet-stream"},
}

// FileServerName is the name of the static-file reference in reports.
const FileServerName = "http.FileServer"

// Web drives a static-website endpoint with wrk: one run per file.
type Web struct {
	Files       []WebFile
	Connections int
	Threads     int
	Duration    time.Duration
	Payload     *Payload
}

// ScenarioName is the figure name of file f.
func (w Web) ScenarioName(f WebFile) string { return "web-" + SizeName(f.Size) }

func (w Web) body(f WebFile) []byte {
	b := make([]byte, f.Size)
	w.Payload.Fill(b, salt(f.Name), 0)
	return b
}

// WriteFiles writes the website's files into dir, for http.FileServer.
func (w Web) WriteFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range w.Files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), w.body(f), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// SetupBucket creates bucket on env's target, uploads the files and turns
// website hosting on with index.html as index document.
func (w Web) SetupBucket(ctx context.Context, env *Env, bucket string) error {
	if err := EnsureBucket(ctx, env, bucket); err != nil {
		return err
	}
	c := env.Client(0)
	for _, f := range w.Files {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: &bucket, Key: aws.String(f.Name), Body: bytes.NewReader(w.body(f)),
			ContentType: aws.String(f.ContentType),
		})
		if err != nil {
			return fmt.Errorf("upload %s: %w", f.Name, err)
		}
	}
	_, err := c.PutBucketWebsite(ctx, &s3.PutBucketWebsiteInput{
		Bucket: &bucket,
		WebsiteConfiguration: &types.WebsiteConfiguration{
			IndexDocument: &types.IndexDocument{Suffix: aws.String("index.html")},
		},
	})
	if err != nil {
		return fmt.Errorf("put bucket website: %w", err)
	}
	return nil
}

// Run measures every file of the site at baseURL with Host: host ("" for
// the URL's own), reporting results under target. A file that does not
// answer 200 with its full body is reported unavailable, with the reason.
func (w Web) Run(ctx context.Context, target, baseURL, host string, sampler *Sampler) []Result {
	var out []Result
	for _, f := range w.Files {
		res := Result{Target: target, Scenario: w.ScenarioName(f), Op: fmt.Sprintf("GET (wrk c%d)", w.Connections), Clients: w.Connections, Size: f.Size}
		path := f.URLPath
		if path == "" {
			path = "/" + f.Name
		}
		url := strings.TrimRight(baseURL, "/") + path
		if err := probe(ctx, url, host, f.Size); err != nil {
			res.Unavailable = err.Error()
			out = append(out, res)
			continue
		}
		end := sampler.Window()
		err := runWrk(ctx, url, host, w.Threads, w.Connections, w.Duration, &res)
		res.PeakRSS, res.ServerCPU = end()
		res.PeakAnon = sampler.PeakAnon()
		if err != nil {
			res.Unavailable = err.Error()
		}
		out = append(out, res)
	}
	return out
}

// probe checks that url serves want bytes with 200.
func probe(ctx context.Context, url, host string, want int64) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("web endpoint unavailable: %v", err)
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("web endpoint unavailable: GET %s (Host %s) answered %s", url, host, resp.Status)
	}
	if n != want {
		return fmt.Errorf("web endpoint served %d bytes, want %d", n, want)
	}
	return nil
}

// runWrk runs wrk and fills res from its report.
func runWrk(ctx context.Context, url, host string, threads, conns int, d time.Duration, res *Result) error {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		return fmt.Errorf("wrk not installed (Debian package wrk)")
	}
	args := []string{"-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%ds", max(1, int(d.Seconds()))), "--latency", "--timeout", "10s"}
	if host != "" {
		args = append(args, "-H", "Host: "+host)
	}
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, wrk, append(args, url)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("wrk: %v: %s", err, out)
	}
	return parseWrk(out, res)
}

// parseWrk reads wrk --latency output.
func parseWrk(out []byte, res *Result) error {
	sc := bufio.NewScanner(bytes.NewReader(out))
	var non2xx int64
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "50%":
			res.P50 = parseWrkDuration(f[1])
		case len(f) == 2 && f[0] == "99%":
			res.P99 = parseWrkDuration(f[1])
		case len(f) >= 5 && f[1] == "requests" && f[2] == "in":
			res.Ops, _ = strconv.ParseInt(f[0], 10, 64)
			res.Duration = parseWrkDuration(strings.TrimSuffix(f[3], ","))
			res.Bytes = parseWrkBytes(f[4])
		case len(f) == 2 && f[0] == "Requests/sec:":
			res.OpsPerSec, _ = strconv.ParseFloat(f[1], 64)
		case len(f) == 2 && f[0] == "Transfer/sec:":
			res.MiBPerSec = float64(parseWrkBytes(f[1])) / (1 << 20)
		case len(f) >= 4 && f[0] == "Non-2xx":
			non2xx, _ = strconv.ParseInt(f[len(f)-1], 10, 64)
		case len(f) >= 2 && f[0] == "Socket" && f[1] == "errors:":
			res.Note = joinNote(res.Note, strings.Join(f, " "))
		}
	}
	if res.Ops == 0 {
		return fmt.Errorf("wrk made no request: %s", out)
	}
	if non2xx > 0 {
		res.Errors = non2xx
		res.Note = joinNote(res.Note, fmt.Sprintf("%d non-2xx answers", non2xx))
		if non2xx >= res.Ops {
			return fmt.Errorf("every answer was non-2xx")
		}
	}
	return nil
}

func parseWrkDuration(s string) time.Duration {
	units := []struct {
		suf string
		d   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"m", time.Minute}, {"s", time.Second}}
	for _, u := range units {
		if v, ok := strings.CutSuffix(s, u.suf); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0
			}
			return time.Duration(f * float64(u.d))
		}
	}
	return 0
}

func parseWrkBytes(s string) int64 {
	units := []struct {
		suf string
		m   float64
	}{{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"TB", 1 << 40}, {"B", 1}}
	for _, u := range units {
		if v, ok := strings.CutSuffix(s, u.suf); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0
			}
			return int64(f * u.m)
		}
	}
	return 0
}
