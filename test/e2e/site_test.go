package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// siteV1 is a small SPA with every kind of rule.
func siteV1() map[string][]byte {
	return map[string][]byte{
		"index.html":             []byte(`<html><link rel=stylesheet href="/app.css">v1</html>`),
		"app.css":                []byte("body{color:red} /* v1 */"),
		"assets/app.3f9a1c2e.js": []byte("console.log('v1')"),
		"docs/guide/index.html":  []byte("guide"),
		"_headers":               []byte("/*\n  X-Frame-Options: DENY\n  Content-Security-Policy: default-src 'self'\n"),
		"_redirects": []byte(`/old      /new            301
/blog/*   /news/:splat    302
this line is bad
/*        /index.html     200
`),
	}
}

func TestSiteDeployPreviewPublishRollback(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "deployer")
	live := n.WebHost("blog")

	dir1 := t.TempDir()
	writeTree(t, dir1, siteV1())
	d1, stderr := n.deploy(t, k, dir1, "blog", "--message", "first")
	if !d1.Live || d1.Files != 6 || d1.Uploaded != 6 {
		t.Fatalf("first deploy: %+v", d1)
	}
	if !strings.Contains(stderr, "_redirects line 3") {
		t.Errorf("the malformed _redirects line is not reported with its number: %s", stderr)
	}

	// The SPA: deep links, redirects, headers, hidden rules files.
	if r := n.WebGet(t, live, "/app/settings"); r.Status != 200 || !strings.Contains(string(r.Body), "v1") {
		t.Errorf("SPA deep link: %d %q", r.Status, r.Body)
	}
	if r := n.WebGet(t, live, "/old"); r.Status != 301 || r.Header.Get("Location") != "/new" {
		t.Errorf("/old: %d %q", r.Status, r.Header.Get("Location"))
	}
	if r := n.WebGet(t, live, "/blog/2024/hello"); r.Status != 302 || r.Header.Get("Location") != "/news/2024/hello" {
		t.Errorf("/blog/2024/hello: %d %q", r.Status, r.Header.Get("Location"))
	}
	r := n.WebGet(t, live, "/")
	if r.Header.Get("X-Frame-Options") != "DENY" || r.Header.Get("Cache-Control") != "public, max-age=0, must-revalidate" {
		t.Errorf("headers of /: %v", r.Header)
	}
	if r := n.WebGet(t, live, "/assets/app.3f9a1c2e.js"); r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("fingerprinted asset Cache-Control %q", r.Header.Get("Cache-Control"))
	}
	if r := n.WebGet(t, live, "/_redirects"); strings.Contains(string(r.Body), "splat") {
		t.Errorf("_redirects served as a file")
	}

	// The S3 view is the live deploy; deploy buckets are not listed.
	aws := n.AWS(t, k)
	ls := aws.Must(t, "s3", "ls", "s3://blog", "--recursive")
	if !strings.Contains(ls, "assets/app.3f9a1c2e.js") || !strings.Contains(ls, "index.html") {
		t.Errorf("aws s3 ls s3://blog:\n%s", ls)
	}
	if all := aws.Must(t, "s3", "ls"); !strings.Contains(all, " blog") || strings.Contains(all, "--blog") {
		t.Errorf("aws s3 ls:\n%s", all)
	}

	// Change one file: only it is uploaded.
	dir2 := t.TempDir()
	v2 := siteV1()
	v2["app.css"] = []byte("body{color:blue} /* v2 */")
	writeTree(t, dir2, v2)
	d2, stderr := n.deploy(t, k, dir2, "blog", "--message", "second")
	if !d2.Live || d2.Files != 6 || d2.Uploaded != 1 || d2.ID == d1.ID {
		t.Fatalf("second deploy: %+v", d2)
	}
	if strings.Count(stderr, "uploaded ") != 1 || !strings.Contains(stderr, "uploaded app.css") {
		t.Errorf("progress lines:\n%s", stderr)
	}
	if r := n.WebGet(t, live, "/app.css"); !strings.Contains(string(r.Body), "v2") {
		t.Errorf("after the second deploy: %q", r.Body)
	}

	// --no-publish: a preview only.
	dir3 := t.TempDir()
	v3 := siteV1()
	v3["index.html"] = []byte("<html>v3</html>")
	writeTree(t, dir3, v3)
	d3, _ := n.deploy(t, k, dir3, "blog", "--no-publish")
	if d3.Live || d3.Uploaded != 2 { // index.html, and app.css as in v1
		t.Fatalf("--no-publish deploy: %+v", d3)
	}
	preview := n.WebHost(d3.ID + "--blog")
	if r := n.WebGet(t, preview, "/"); r.Status != 200 || string(r.Body) != "<html>v3</html>" {
		t.Errorf("preview: %d %q", r.Status, r.Body)
	}
	if r := n.WebGet(t, live, "/"); strings.Contains(string(r.Body), "v3") {
		t.Errorf("the unpublished deploy is live")
	}
	if r := n.WebDo(t, "PUT", preview, "/x", []byte("x")); r.Status != 405 {
		t.Errorf("PUT on a preview: %d", r.Status)
	}

	list := n.deploys(t, k, "blog")
	if len(list) != 3 || list[0].ID != d3.ID || list[1].ID != d2.ID || list[2].ID != d1.ID {
		t.Fatalf("deploys: %+v", list)
	}
	if list[0].Live || !list[1].Live || list[2].Live || list[1].Message != "second" || list[2].Files != 6 {
		t.Fatalf("deploys: %+v", list)
	}

	// Custom domain.
	n.Site(t, k, "site", "domain", "add", "blog", "www.example.org")
	if o, _ := n.Site(t, k, "site", "domain", "list", "blog", "--json"); !strings.Contains(o, `"www.example.org"`) {
		t.Errorf("domain list: %s", o)
	}
	if r := n.WebGet(t, "www.example.org", "/app.css"); !strings.Contains(string(r.Body), "v2") {
		t.Errorf("custom domain: %d %q", r.Status, r.Body)
	}

	// Publish and roll back under load: every GET answers 200.
	var stop atomic.Bool
	var bad atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if r := n.WebGet(t, live, "/"); r.Status != 200 {
					bad.Add(1)
				}
			}
		}()
	}
	n.Site(t, k, "site", "publish", "blog", d3.ID)
	if r := n.WebGet(t, "www.example.org", "/"); string(r.Body) != "<html>v3</html>" {
		t.Errorf("the custom domain did not follow the publish: %q", r.Body)
	}
	n.Site(t, k, "site", "rollback", "blog")
	if r := n.WebGet(t, live, "/app.css"); !strings.Contains(string(r.Body), "v2") {
		t.Errorf("rollback without id: %q", r.Body)
	}
	n.Site(t, k, "site", "rollback", "blog", d1.ID)
	stop.Store(true)
	wg.Wait()
	if bad.Load() != 0 {
		t.Errorf("%d GETs did not answer 200 during publish and rollback", bad.Load())
	}
	if r := n.WebGet(t, live, "/app.css"); !strings.Contains(string(r.Body), "v1") {
		t.Errorf("rollback to %s: %q", d1.ID, r.Body)
	}
	if ls := aws.Must(t, "s3", "cp", "s3://blog/app.css", "-"); !strings.Contains(ls, "v1") {
		t.Errorf("S3 view after rollback: %q", ls)
	}
	if _, _, err := n.TrySite(k, "site", "publish", "blog", "dnosuchdeploy1"); err == nil {
		t.Errorf("publish of an unknown deploy exited 0")
	}

	// Removing the domain.
	n.Site(t, k, "site", "domain", "remove", "blog", "www.example.org")
	if r := n.WebGet(t, "www.example.org", "/"); r.Status != 404 {
		t.Errorf("removed domain: %d", r.Status)
	}

	// Another key may not touch the site.
	other := n.NewKey(t, "other")
	if _, _, err := n.TrySite(other, "site", "rollback", "blog"); err == nil {
		t.Errorf("a key without rights rolled the site back")
	}
}

func TestSiteDeployInterrupted(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "deployer")
	live := n.WebHost("www")
	dir1 := t.TempDir()
	writeTree(t, dir1, map[string][]byte{"index.html": []byte("old home"), "style.css": []byte("old")})
	n.deploy(t, k, dir1, "www")

	big := map[string][]byte{"index.html": []byte("new home"), "style.css": []byte("new")}
	for i := range 300 {
		big[fmt.Sprintf("pages/p%03d.html", i)] = []byte(fmt.Sprintf("page %d", i))
	}
	dir2 := t.TempDir()
	writeTree(t, dir2, big)

	// A client polls the live site through the whole interrupted deploy.
	var stop atomic.Bool
	var seenNew atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			if r := n.WebGet(t, live, "/"); string(r.Body) != "old home" {
				seenNew.Add(1)
			}
			if r := n.WebGet(t, live, "/pages/p000.html"); r.Status != 404 {
				seenNew.Add(1)
			}
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := n.siteCmd(ctx, k, "site", "deploy", dir2, "www", "--parallel", "1")
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(errPipe)
	uploadedOne := false
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "uploaded ") {
			uploadedOne = true
			break
		}
	}
	if !uploadedOne {
		t.Fatalf("the deploy printed no upload line: %v", cmd.Wait())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	werr := cmd.Wait()
	stop.Store(true)
	wg.Wait()
	if werr == nil {
		t.Fatalf("the deploy of 302 files ended before it was killed; cannot check an interruption")
	}
	if seenNew.Load() != 0 {
		t.Errorf("the live site changed during a deploy that never finished (%d answers)", seenNew.Load())
	}
	list := n.deploys(t, k, "www")
	if len(list) != 2 || list[0].Live || !list[1].Live {
		t.Errorf("after the killed deploy: %+v", list)
	}

	// The next deploy works.
	d, _ := n.deploy(t, k, dir2, "www")
	if !d.Live || d.Files != 302 {
		t.Fatalf("deploy after the interruption: %+v", d)
	}
	if r := n.WebGet(t, live, "/pages/p299.html"); r.Status != 200 || string(r.Body) != "page 299" {
		t.Errorf("after the deploy: %d %q", r.Status, r.Body)
	}
}

func TestSiteAdoptsSyncedBucketAndAliases(t *testing.T) {
	n := startNode(t)
	k := n.NewKey(t, "k")
	aws := n.AWS(t, k)
	src := t.TempDir()
	writeTree(t, src, map[string][]byte{"index.html": []byte("synced"), "a.txt": []byte("a")})
	aws.Must(t, "s3", "mb", "s3://docs")
	aws.Must(t, "s3", "sync", src, "s3://docs")
	n.CLI(t, "bucket", "website", "docs", "--allow", "--index-document", "index.html")

	dir := t.TempDir()
	writeTree(t, dir, map[string][]byte{"index.html": []byte("deployed"), "a.txt": []byte("a")})
	d, _ := n.deploy(t, k, dir, "docs")
	if d.Uploaded != 1 {
		t.Errorf("a.txt was uploaded again: %+v", d)
	}
	if r := n.WebGet(t, n.WebHost("docs"), "/"); string(r.Body) != "deployed" {
		t.Errorf("after the deploy: %q", r.Body)
	}
	n.Site(t, k, "site", "rollback", "docs")
	if r := n.WebGet(t, n.WebHost("docs"), "/"); string(r.Body) != "synced" {
		t.Errorf("rollback to the synced bucket: %q", r.Body)
	}
	// aws s3 sync keeps working: it writes into the live deploy.
	if err := os.WriteFile(filepath.Join(src, "b.txt"), []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	aws.Must(t, "s3", "sync", src, "s3://docs")
	if r := n.WebGet(t, n.WebHost("docs"), "/b.txt"); string(r.Body) != "b" {
		t.Errorf("sync after rollback: %q", r.Body)
	}

	// bucket alias / unalias: a custom domain for a plain bucket.
	aws.Must(t, "s3", "mb", "s3://plain")
	n.CLI(t, "bucket", "website", "plain", "--allow", "--index-document", "index.html")
	aws.Must(t, "s3", "cp", filepath.Join(src, "index.html"), "s3://plain/index.html")
	n.CLI(t, "bucket", "alias", "plain", "plain.example.org")
	if r := n.WebGet(t, "plain.example.org", "/"); string(r.Body) != "synced" {
		t.Errorf("alias: %d %q", r.Status, r.Body)
	}
	n.CLI(t, "bucket", "unalias", "plain", "plain.example.org")
	deadline := time.Now().Add(10 * time.Second)
	for n.WebGet(t, "plain.example.org", "/").Status != 404 {
		if time.Now().After(deadline) {
			t.Fatal("unaliased name still served")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSiteExample deploys examples/static-site/dist as its README does.
func TestSiteExample(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t)
	k := n.NewKey(t, "k")
	d, _ := n.deploy(t, k, filepath.Join(root, "examples", "static-site", "dist"), "shop")
	if !d.Live || d.Files != 5 {
		t.Fatalf("deploy: %+v", d)
	}
	host := n.WebHost("shop")
	if r := n.WebGet(t, host, "/app/settings"); r.Status != 200 || !strings.Contains(string(r.Body), `id="view"`) || r.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("/app/settings: %d %v %q", r.Status, r.Header, r.Body)
	}
	if r := n.WebGet(t, host, "/home"); r.Status != 301 || r.Header.Get("Location") != "/" {
		t.Errorf("/home: %d %q", r.Status, r.Header.Get("Location"))
	}
}
