package s3

import (
	"bytes"
	"testing"
)

func TestSingleDocument(t *testing.T) {
	for doc, ok := range map[string]bool{
		`<Delete><Object><Key>k</Key></Object></Delete>`:                      true,
		"<?xml version=\"1.0\"?>\n<Delete/>\n<!-- trailing comment -->\n  \n": true,
		`<Delete><Object><Key>k</Key></Object></Delete><Delete/>`:             false,
		`<Delete><Object><Key>k</Key></Object></Delete>junk`:                  false,
		`<Delete/><Other><Object><Key>x</Key></Object></Other>`:               false,
		``:    false,
		`   `: false,
		`<Delete><Object><Key>k</Key></Object></Delete><`:                                false,
		`<CORSConfiguration></CORSConfiguration><CORSConfiguration></CORSConfiguration>`: false,
	} {
		if err := singleDocument([]byte(doc)); (err == nil) != ok {
			t.Errorf("singleDocument(%q) = %v, want ok=%v", doc, err, ok)
		}
	}
}

// FuzzSingleDocument: whatever singleDocument accepts stops being
// accepted once a second root element follows it, and it never panics.
func FuzzSingleDocument(f *testing.F) {
	for _, s := range []string{`<a/>`, `<a><b>x</b></a><!-- c -->`, `<a/><b/>`, `<a/>x`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if singleDocument(data) != nil {
			return
		}
		more := append(bytes.Clone(data), []byte("<second/>")...)
		if singleDocument(more) == nil {
			t.Fatalf("accepted %q followed by a second root element", data)
		}
	})
}
