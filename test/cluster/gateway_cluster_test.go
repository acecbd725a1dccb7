package cluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// webGET fetches path from n's web endpoint with Host: host.
func webGET(ctx context.Context, n *Node, host, path string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.WebAddr()+path, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Host = host
	resp, err := n.HTTP().Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// TestGatewayServesS3AndWeb: a gateway (no capacity) in front of 3 storage
// nodes answers PUT/GET/LIST and serves a website by Host header.
func TestGatewayServesS3AndWeb(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 3*time.Minute)
	c := startCluster(t, ClusterOptions{Nodes: 3, Gateways: 1})
	gw := c.Gateways()[0]
	s3c := gw.S3(c.Key)
	const bucket = "gwsite"
	_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	must(t, err)
	files := map[string][]byte{
		"index.html":   []byte("<h1>served by the gateway</h1>\n"),
		"404.html":     []byte("<h1>not here</h1>\n"),
		"css/site.css": []byte("body{}\n"),
		"big/blob.bin": bytes.Repeat([]byte("0123456789abcdef"), 1<<17), // 2 MiB: several blocks
	}
	for k, v := range files {
		must(t, putObject(ctx, s3c, bucket, k, v))
	}
	out, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	must(t, err)
	var got, want []string
	for _, o := range out.Contents {
		got = append(got, aws.ToString(o.Key))
	}
	for k := range files {
		want = append(want, k)
	}
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("LIST through the gateway: %v, want %v", got, want)
	}
	for _, n := range c.Nodes {
		for k, v := range files {
			b, err := getObject(ctx, n.S3(c.Key), bucket, k)
			must(t, err)
			if !bytes.Equal(b, v) {
				t.Fatalf("%s: GET %s: %d bytes, want %d", n.Name, k, len(b), len(v))
			}
		}
	}
	t.Logf("gateway: PUT %d objects, LIST, GET from gateway and every storage node", len(files))

	_, err = gw.CLI(ctx, "bucket", "website", "--allow", bucket, "--index-document", "index.html", "--error-document", "404.html")
	must(t, err)
	host := bucket + webRootDomain
	must(t, waitFor(ctx, "website on the gateway", func(ctx context.Context) error {
		code, body, err := webGET(ctx, gw, host, "/")
		if err != nil {
			return err
		}
		if code != http.StatusOK || !bytes.Equal(body, files["index.html"]) {
			return fmt.Errorf("GET / Host %s: %d %q", host, code, body)
		}
		return nil
	}))
	code, body, err := webGET(ctx, gw, host, "/css/site.css")
	must(t, err)
	if code != http.StatusOK || !bytes.Equal(body, files["css/site.css"]) {
		t.Fatalf("GET /css/site.css: %d %q", code, body)
	}
	code, body, err = webGET(ctx, gw, host, "/nope")
	must(t, err)
	if code != http.StatusNotFound || !bytes.Equal(body, files["404.html"]) {
		t.Fatalf("GET /nope: %d %q, want 404 with the error document", code, body)
	}
	t.Logf("gateway web endpoint: index, asset, error document for Host %s", host)
}
