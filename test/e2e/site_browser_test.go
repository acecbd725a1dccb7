package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestSiteBrowser: in headless Chromium, an SPA deep link loads through
// the `/*  /index.html  200` rule and the client-side router renders it;
// `_headers` reach the browser; a preview shows the unpublished deploy
// while the live URL shows the published one.
func TestSiteBrowser(t *testing.T) {
	chromium := requireTool(t, "chromium", "chromium")
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t)
	k := n.NewKey(t, "k")
	n.deploy(t, k, filepath.Join(root, "examples", "static-site", "dist"), "shop")

	// A second version, deployed without publishing.
	dir := t.TempDir()
	copyTree(t, filepath.Join(root, "examples", "static-site", "dist"), dir)
	index := filepath.Join(dir, "index.html")
	b, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(index, []byte(strings.Replace(string(b), "<title>", "<title>v2 ", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	d2, _ := n.deploy(t, k, dir, "shop", "--no-publish")

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-proxy-server", true),
	)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	live := "http://" + n.WebHost("shop")
	step := func(what string, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, a); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(expr string, opts ...chromedp.EvaluateOption) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[string](expr, opts...))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}
	step("load the deep link", chromedp.Navigate(live+"/app/settings"))
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.getElementById("view") && document.getElementById("view").textContent === "Settings"`)); err != nil {
		t.Fatalf("the router did not render /app/settings: %v (view %q)", err, eval(`String(document.getElementById("view") && document.getElementById("view").textContent)`))
	}
	if frame := eval(`fetch("/about").then(r => r.headers.get("x-frame-options"))`, chromedp.EvalAwaitPromise); frame != "DENY" {
		t.Errorf("X-Frame-Options from _headers in the browser: %q", frame)
	}
	if title := eval(`document.title`); strings.HasPrefix(title, "v2") {
		t.Errorf("the live site shows the unpublished deploy: %q", title)
	}
	step("load the preview", chromedp.Navigate("http://"+n.WebHost(d2.ID+"--shop")+"/app/settings"))
	if title := eval(`document.title`); !strings.HasPrefix(title, "v2 ") {
		t.Errorf("preview title %q", title)
	}
	step("load the live site", chromedp.Navigate(live+"/"))
	if title := eval(`document.title`); strings.HasPrefix(title, "v2") {
		t.Errorf("live title after the preview %q", title)
	}
}
