package s3

import (
	"bytes"
	"testing"

	"github.com/garage-web/garage-web/bucketconfig"
)

// FuzzRequestXML feeds arbitrary bytes to every XML request body parser:
// none may panic, and a website or CORS document that parses must
// marshal to a document that parses again to the same thing.
func FuzzRequestXML(f *testing.F) {
	seeds := []string{
		`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part></CompleteMultipartUpload>`,
		`<Delete><Quiet>true</Quiet><Object><Key>k</Key></Object></Delete>`,
		`<CreateBucketConfiguration><LocationConstraint>garage</LocationConstraint></CreateBucketConfiguration>`,
		`<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument><RoutingRules><RoutingRule><Condition><KeyPrefixEquals>a/</KeyPrefixEquals></Condition><Redirect><ReplaceKeyPrefixWith>b/</ReplaceKeyPrefixWith></Redirect></RoutingRule></RoutingRules></WebsiteConfiguration>`,
		`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`,
		`<a><b>`, ``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_ = readXML(bytes.NewReader(body), 1<<20, &completeMultipartUpload{})
		_ = readXML(bytes.NewReader(body), 1<<20, &deleteRequest{})
		_ = readXML(bytes.NewReader(body), 1<<20, &createBucketConfiguration{})
		if w, err := bucketconfig.ParseWebsite(body); err == nil {
			out, err := w.Marshal()
			if err != nil {
				t.Fatalf("marshal parsed website config: %v", err)
			}
			if _, err := bucketconfig.ParseWebsite(out); err != nil {
				t.Fatalf("website config does not re-parse: %v\n%s", err, out)
			}
			for _, key := range []string{"", "a/b", "index.html"} {
				w.MatchRule(key, 0)
				w.MatchRule(key, 404)
			}
		}
		if c, err := bucketconfig.ParseCORS(body); err == nil {
			out, err := c.Marshal()
			if err != nil {
				t.Fatalf("marshal parsed CORS config: %v", err)
			}
			if _, err := bucketconfig.ParseCORS(out); err != nil {
				t.Fatalf("CORS config does not re-parse: %v\n%s", err, out)
			}
			c.Match("https://x.example", "GET", []string{"content-type"})
		}
	})
}
