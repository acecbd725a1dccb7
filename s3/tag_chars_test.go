package s3

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/garage-web/garage-web/s3/s3err"
)

func TestTagCharsOK(t *testing.T) {
	for s, want := range map[string]bool{
		"":                        true,
		"Project":                 true,
		"cost-center_2026":        true,
		"a+b=c.d_e:f/g@h -i":      true,
		"Ünïcödé":                 true, // Latin letters with marks, precomposed
		"日本語":                     true, // letters (Lo)
		"٣٤":                      true, // Arabic-Indic digits (Nd)
		"Ⅻ":                       true, // a Roman numeral (Nl)
		"no\u00a0break":           true, // a no-break space (Zs)
		"𠀀":                       true, // a letter outside the BMP
		"tab\there":               false,
		"line\nbreak":             false,
		"semi;colon":              false,
		"a,b":                     false,
		"quote\"":                 false,
		"star*":                   false,
		"hash#":                   false,
		"percent%":                false,
		"paren(":                  false,
		"😀":                       false, // a symbol (So), not a letter
		"e\u0301":                 false, // a combining mark (Mn) is neither a letter nor a number
		"<script>":                false,
		"dollar$":                 false,
		"question?":               false,
		"back\\slash":             false,
		"ampersand&":              false,
		"caret^":                  false,
		"tilde~":                  false,
		"pipe|":                   false,
		"bracket[":                false,
		"control\x00":             false,
		"almost-ok-but-trailing!": false,
	} {
		if got := tagCharsOK(s); got != want {
			t.Errorf("tagCharsOK(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestTagCharsRefused checks the character set on each way in: the
// Tagging document of PutObjectTagging and PutBucketTagging (encodeTags)
// and the x-amz-tagging header (parseTagging), for keys and values.
func TestTagCharsRefused(t *testing.T) {
	for _, tc := range []tag{{"bad;key", "v"}, {"k", "bad\tvalue"}, {"k", "a,b"}} {
		if _, err := encodeTags([]tag{tc}, maxBucketTags, "Bucket"); !errors.Is(err, s3err.ErrInvalidTag) {
			t.Errorf("encodeTags(%q=%q): %v, want InvalidTag", tc.Key, tc.Value, err)
		}
	}
	for _, h := range []string{"bad%3Bkey=v", "k=bad%09value", "k=%2A"} {
		if _, err := parseTagging(h); !errors.Is(err, s3err.ErrInvalidTag) {
			t.Errorf("parseTagging(%q): %v, want InvalidTag", h, err)
		}
	}
	if got, err := parseTagging("Team=S%C3%BCd+Ost&path=%2Fa%2Fb%40c"); err != nil || got == "" {
		t.Errorf("allowed characters refused: %q, %v", got, err)
	}
}

// TestTagCharsOnPut sends the three requests through the handler: each
// answers 400 InvalidTag and the object or bucket keeps no such tag.
func TestTagCharsOnPut(t *testing.T) {
	e := mustBenchEnv(t)
	e.mustPut(t, "obj", []byte("x"))
	doc := `<Tagging><TagSet><Tag><Key>k</Key><Value>a;b</Value></Tag></TagSet></Tagging>`
	for _, c := range []struct {
		name string
		req  func() *http.Request
	}{
		{"PutObjectTagging", func() *http.Request {
			return e.signed(t, http.MethodPut, "http://127.0.0.1/bkt/obj?tagging", []byte(doc))
		}},
		{"PutBucketTagging", func() *http.Request {
			return e.signed(t, http.MethodPut, "http://127.0.0.1/bkt?tagging", []byte(doc))
		}},
		{"PutObject x-amz-tagging", func() *http.Request {
			return e.signedWith(t, http.MethodPut, "http://127.0.0.1/bkt/obj2", []byte("y"), http.Header{"X-Amz-Tagging": {"k=a%3Bb"}})
		}},
	} {
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, c.req())
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "<Code>InvalidTag</Code>") {
			t.Errorf("%s: %d %s, want 400 InvalidTag", c.name, w.Code, w.Body)
		}
	}
	if _, err := e.m.HeadObject(context.Background(), e.bkt.ID, "obj2"); err == nil {
		t.Error("the PUT refused for its x-amz-tagging stored the object")
	}
}
