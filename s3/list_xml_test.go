package s3

import (
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestListXMLMatchesEncodingXML: the hand-written ListBucketResult is
// byte for byte what encoding/xml writes, for every optional field set or
// not and for text that needs escaping.
func TestListXMLMatchesEncodingXML(t *testing.T) {
	texts := []string{"", "plain", "a&b<c>d\"e'f", "tab\there\nnl\rcr", "é/ü/日本", "\x00\x01\x1f", "bad\xff\xfeutf8",
		"\uFFFD", "\uFFFE\uFFFF", "\U0001F600", "\u2028", "x]]>y", "%20+/"}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return texts[rng.IntN(len(texts))] }
	ptr := func() *string {
		if rng.IntN(3) == 0 {
			return nil
		}
		s := pick()
		return &s
	}
	for n := range 300 {
		res := listBucketResult{Xmlns: s3NS, Name: pick(), Prefix: pick(), Marker: ptr(), NextMarker: pick(), StartAfter: pick(),
			ContToken: ptr(), NextContToken: pick(), MaxKeys: rng.IntN(1001), Delimiter: pick(), EncodingType: pick(), IsTruncated: rng.IntN(2) == 0}
		if rng.IntN(2) == 0 {
			k := rng.IntN(5)
			res.KeyCount = &k
		}
		for range rng.IntN(4) {
			it := objectItem{Key: pick(), LastModified: pick(), ETag: pick(), Size: rng.Int64N(1 << 40), StorageClass: pick(),
				ChecksumAlgorithm: pick(), ChecksumType: pick()}
			if rng.IntN(2) == 0 {
				it.Owner = &owner{ID: pick(), DisplayName: pick()}
			}
			res.Contents = append(res.Contents, it)
		}
		for range rng.IntN(3) {
			res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: pick()})
		}
		want, err := xml.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.appendXML(nil); string(got) != string(want) {
			t.Fatalf("case %d:\n got %s\nwant %s", n, got, want)
		}
	}
	for r := rune(0); r < 0x11000; r++ {
		s := fmt.Sprintf("a%cb", r)
		var want []byte
		w := &byteWriter{&want}
		if err := xml.EscapeText(w, []byte(s)); err != nil {
			t.Fatal(err)
		}
		if got := appendEscaped(nil, s); string(got) != string(want) {
			t.Fatalf("U+%04X: %q, want %q", r, got, want)
		}
	}
}

type byteWriter struct{ b *[]byte }

func (w *byteWriter) Write(p []byte) (int, error) { *w.b = append(*w.b, p...); return len(p), nil }
