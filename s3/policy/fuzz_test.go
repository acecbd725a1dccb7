package policy

import "testing"

// FuzzParse: Parse never panics, and what it accepts parses again to the
// same decisions.
func FuzzParse(f *testing.F) {
	f.Add([]byte(stmt(allowGet + `,"Resource":"arn:aws:s3:::photos/public/*"`)))
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]}}`))
	f.Add([]byte(`{"Statement":[{"Effect":"Deny"}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := Parse(b, doc)
		if err != nil {
			return
		}
		q, err := Parse(b, doc)
		if err != nil {
			t.Fatalf("accepted once, refused again: %v", err)
		}
		for _, k := range []string{"", "a", "public/x", "photos"} {
			if p.AllowsGetObject(k) != q.AllowsGetObject(k) {
				t.Fatalf("unstable decision for %q", k)
			}
		}
		if !p.IsPublic() {
			t.Fatal("accepted policy without statements")
		}
	})
}
