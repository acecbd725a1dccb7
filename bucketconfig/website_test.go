package bucketconfig

import (
	"strings"
	"testing"
)

func TestWebsiteMarshalOmitsEmptyRoutingRules(t *testing.T) {
	w, err := ParseWebsite([]byte(`<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument></WebsiteConfiguration>`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := w.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "RoutingRules") {
		t.Fatalf("empty RoutingRules written: %s", out)
	}
	w.RoutingRules = []RoutingRule{{Redirect: Redirect{HostName: "example.org"}}}
	out, _ = w.Marshal()
	back, err := ParseWebsite(out)
	if err != nil || len(back.RoutingRules) != 1 || back.RoutingRules[0].Redirect.HostName != "example.org" {
		t.Fatalf("rules do not round-trip: %s (%v)", out, err)
	}
}
