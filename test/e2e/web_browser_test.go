package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browserTimeout bounds the whole browser session.
const browserTimeout = 2 * time.Minute

// pageState is what the browser test reads back from a loaded page.
type pageState struct {
	URL        string `json:"url"`
	Title      string `json:"title"`
	Heading    string `json:"heading"`
	Color      string `json:"color"`
	Background string `json:"background"`
	ImgWidth   int    `json:"imgWidth"` // naturalWidth, -1 when no image
	JS         string `json:"js"`
}

const readPage = `(() => {
  const h = document.querySelector('#title');
  const img = document.querySelector('img#logo');
  return {
    url: location.href,
    title: document.title,
    heading: h ? h.textContent : '',
    color: h ? getComputedStyle(h).color : '',
    background: getComputedStyle(document.body).backgroundColor,
    imgWidth: img ? (img.complete ? img.naturalWidth : 0) : -1,
    js: document.body.dataset.js || '',
  };
})()`

// browserLog collects what would show in DevTools as errors, and the
// responses the page loaded.
type browserLog struct {
	mu        sync.Mutex
	errors    []string
	responses []string
}

func (b *browserLog) add(list *[]string, s string) {
	b.mu.Lock()
	*list = append(*list, s)
	b.mu.Unlock()
}

func (b *browserLog) take() (errs, resps []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	errs, resps = b.errors, b.responses
	b.errors, b.responses = nil, nil
	return errs, resps
}

// TestWebSiteBrowser loads the published site in headless Debian
// Chromium (blog.web.localhost resolves to loopback there) and checks
// that pages render with their CSS, images and scripts, follow the
// folder redirect, and log no console errors.
func TestWebSiteBrowser(t *testing.T) {
	chromium := requireTool(t, "chromium", "chromium")
	n := startNode(t)
	publishSite(t, n)
	base := "http://" + n.WebHost("blog")

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-proxy-server", true),
	)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	blog := &browserLog{}
	listen := chromedp.Listen(bctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				blog.add(&blog.errors, "console."+string(ev.Type)+": "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			blog.add(&blog.errors, fmt.Sprintf("exception: %s at %s:%d", msg, d.URL, d.LineNumber+1))
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				blog.add(&blog.errors, fmt.Sprintf("log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		case *network.EventResponseReceived:
			r := ev.Response
			blog.add(&blog.responses, fmt.Sprintf("%d %s (%s, encoding %q)", r.Status, r.URL, r.MimeType, headerValue(r.Headers, "Content-Encoding")))
		}
	})
	if listen != nil {
		t.Fatalf("start chromium (%s): %v", chromium, listen)
	}
	if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("chromium: enable network events: %v", err)
	}
	if _, err := chromedp.Call(bctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("chromium: enable log events: %v", err)
	}

	load := func(path string) pageState {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.Navigate(base+path)); err != nil {
			t.Fatalf("load %s: %v", path, err)
		}
		st, err := chromedp.Run(bctx, chromedp.Evaluate[pageState](readPage))
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		return st
	}
	const red, paper = "rgb(200, 10, 20)", "rgb(250, 245, 230)"
	pages := []struct {
		path, url, heading string
		img                int // naturalWidth, -1: no image
		js                 bool
	}{
		{"/", base + "/", "Garden notes", 48, true},
		{"/about", base + "/about/", "About these notes", 48, false}, // 302 to /about/
		{"/blog/", base + "/blog/", "Blog", -1, false},
		{"/blog/2024/first-post.html", base + "/blog/2024/first-post.html", "First post", 64, true},
	}
	for _, p := range pages {
		st := load(p.path)
		errs, resps := blog.take()
		t.Logf("%s loaded:\n  %s", p.path, strings.Join(resps, "\n  "))
		if st.URL != p.url || st.Heading != p.heading {
			t.Errorf("%s: at %q with heading %q, want %q with %q", p.path, st.URL, st.Heading, p.url, p.heading)
		}
		if st.Color != red || st.Background != paper {
			t.Errorf("%s: CSS not applied: #title color %q (want %s), body background %q (want %s)", p.path, st.Color, red, st.Background, paper)
		}
		if st.ImgWidth != p.img {
			t.Errorf("%s: image naturalWidth %d, want %d (0 = not loaded)", p.path, st.ImgWidth, p.img)
		}
		if (st.JS == "ok") != p.js {
			t.Errorf("%s: script marker %q, want script run = %v", p.path, st.JS, p.js)
		}
		if len(errs) > 0 {
			t.Errorf("%s: browser errors:\n  %s", p.path, strings.Join(errs, "\n  "))
		}
	}

	// The error collection works: a console.error is seen.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[any](`console.error("probe-7f3a"); 1`)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		errs, _ := blog.take()
		if strings.Contains(strings.Join(errs, "\n"), "probe-7f3a") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("console.error from the page was not collected: the no-console-errors checks above prove nothing")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The error document renders with its stylesheet and status 404.
	st := load("/no/such/page.html")
	_, resps := blog.take()
	if st.Heading != "This page does not exist" || st.Color != red {
		t.Errorf("404 page: heading %q color %q", st.Heading, st.Color)
	}
	if len(resps) == 0 || !strings.HasPrefix(resps[0], "404 ") {
		t.Errorf("404 page: responses %q, want the document first with status 404", resps)
	}
}

// headerValue finds a header in a CDP header map, ignoring case.
func headerValue(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return fmt.Sprint(v)
		}
	}
	return ""
}
