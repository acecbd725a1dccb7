package policy

import (
	"errors"
	"strings"
	"testing"
)

const b = "photos"

// stmt builds a one-statement policy around the given statement members.
func stmt(members string) string {
	return `{"Version":"2012-10-17","Statement":[{` + members + `}]}`
}

const allowGet = `"Effect":"Allow","Principal":"*","Action":"s3:GetObject"`

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name       string
		doc        string
		get, noGet []string
		list       bool
	}{
		{"whole bucket", stmt(allowGet + `,"Resource":"arn:aws:s3:::photos/*"`), []string{"a", "x/y/z", ""}, nil, false},
		{"prefix", stmt(allowGet + `,"Resource":"arn:aws:s3:::photos/public/*"`), []string{"public/a", "public/"}, []string{"publicx", "private/a", "a"}, false},
		{"prefix without slash", stmt(allowGet + `,"Resource":"arn:aws:s3:::photos/pub*"`), []string{"pub", "public/a", "pubx"}, []string{"pu"}, false},
		{"exact key", stmt(allowGet + `,"Resource":"arn:aws:s3:::photos/index.html"`), []string{"index.html"}, []string{"index.html2", "x"}, false},
		{"principal AWS star", stmt(`"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"`), []string{"a"}, nil, false},
		{"principal AWS list", stmt(`"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::photos/*"]`), []string{"a"}, nil, false},
		{"action case", stmt(`"Effect":"Allow","Principal":"*","Action":"S3:getobject","Resource":"arn:aws:s3:::photos/*"`), []string{"a"}, nil, false},
		{"list and get", stmt(`"Sid":"pub","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]`), []string{"a"}, nil, true},
		{"list only", stmt(`"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::photos"`), nil, []string{"a"}, true},
		{"unused bucket resource", stmt(allowGet + `,"Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/a/*"]`), []string{"a/b"}, []string{"b"}, false},
		{"single statement object, no version, id", `{"Id":"x","Statement":{` + allowGet + `,"Resource":"arn:aws:s3:::photos/*"}}`, []string{"a"}, nil, false},
		{"old version", `{"Version":"2008-10-17","Statement":[{` + allowGet + `,"Resource":"arn:aws:s3:::photos/*"}]}`, []string{"a"}, nil, false},
		{"two statements", `{"Statement":[{"Sid":"a",` + allowGet + `,"Resource":"arn:aws:s3:::photos/a/*"},{"Sid":"b",` + allowGet + `,"Resource":"arn:aws:s3:::photos/b/*"}]}`, []string{"a/1", "b/1"}, []string{"c/1"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(b, []byte(tc.doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			for _, k := range tc.get {
				if !p.AllowsGetObject(k) {
					t.Errorf("GetObject %q refused", k)
				}
			}
			for _, k := range tc.noGet {
				if p.AllowsGetObject(k) {
					t.Errorf("GetObject %q allowed", k)
				}
			}
			if p.AllowsListBucket() != tc.list {
				t.Errorf("ListBucket allowed = %v, want %v", p.AllowsListBucket(), tc.list)
			}
			if !p.IsPublic() {
				t.Error("not public")
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	res := `,"Resource":"arn:aws:s3:::photos/*"`
	tests := []struct {
		name, doc, want string // want: a substring of the error
	}{
		{"empty", ``, "first byte"},
		{"not an object", `[]`, "first byte"},
		{"not JSON", `{"Statement":`, "not valid JSON"},
		{"trailing data", stmt(allowGet+res) + `{}`, "data after its end"},
		{"duplicate member", `{"Statement":[{"Effect":"Deny","Effect":"Allow","Principal":"*","Action":"s3:GetObject"` + res + `}]}`, `"Effect" twice`},
		{"duplicate top member", `{"Statement":[],"Statement":[{` + allowGet + res + `}]}`, `"Statement" twice`},
		{"unknown top element", `{"Foo":1,"Statement":[{` + allowGet + res + `}]}`, `"Foo"`},
		{"bad version", `{"Version":"2020-01-01","Statement":[{` + allowGet + res + `}]}`, "Version"},
		{"version not a string", `{"Version":1,"Statement":[{` + allowGet + res + `}]}`, "Version must be a string"},
		{"no statement", `{"Version":"2012-10-17"}`, "no Statement"},
		{"empty statement list", `{"Statement":[]}`, "Statement is empty"},
		{"statement not an object", `{"Statement":"x"}`, "Statement must be"},
		{"statement list of strings", `{"Statement":["x"]}`, "must be a JSON object"},
		{"deny", stmt(`"Effect":"Deny","Principal":"*","Action":"s3:GetObject"` + res), "Deny is not supported"},
		{"bad effect", stmt(`"Effect":"allow","Principal":"*","Action":"s3:GetObject"` + res), `invalid Effect "allow"`},
		{"no effect", stmt(`"Principal":"*","Action":"s3:GetObject"` + res), "no Effect"},
		{"no principal", stmt(`"Effect":"Allow","Action":"s3:GetObject"` + res), "no Principal"},
		{"no action", stmt(`"Effect":"Allow","Principal":"*"` + res), "no Action"},
		{"no resource", stmt(allowGet), "no Resource"},
		{"not principal", stmt(`"Effect":"Allow","NotPrincipal":{"AWS":"x"},"Action":"s3:GetObject"` + res), "NotPrincipal is not supported"},
		{"not action", stmt(`"Effect":"Allow","Principal":"*","NotAction":"s3:PutObject"` + res), "NotAction is not supported"},
		{"not resource", stmt(allowGet + `,"NotResource":"arn:aws:s3:::photos/private/*"`), "NotResource is not supported"},
		{"condition", stmt(allowGet + res + `,"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`), "Condition is not supported"},
		{"unknown statement element", stmt(allowGet + res + `,"Foo":"x"`), `"Foo"`},
		{"principal account", stmt(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject"` + res), `principal "arn:aws:iam::111122223333:root"`},
		{"principal key id", stmt(`"Effect":"Allow","Principal":{"AWS":["*","GK123"]},"Action":"s3:GetObject"` + res), `principal "GK123"`},
		{"principal string", stmt(`"Effect":"Allow","Principal":"GK123","Action":"s3:GetObject"` + res), `Principal "GK123"`},
		{"principal service", stmt(`"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject"` + res), `principal type "Service"`},
		{"principal canonical", stmt(`"Effect":"Allow","Principal":{"CanonicalUser":"abc"},"Action":"s3:GetObject"` + res), `principal type "CanonicalUser"`},
		{"principal empty", stmt(`"Effect":"Allow","Principal":{},"Action":"s3:GetObject"` + res), "Principal is empty"},
		{"principal number", stmt(`"Effect":"Allow","Principal":1,"Action":"s3:GetObject"` + res), "Principal must be a JSON object"},
		{"put object", stmt(`"Effect":"Allow","Principal":"*","Action":"s3:PutObject"` + res), `action "s3:PutObject"`},
		{"delete object", stmt(`"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:DeleteObject"]` + res), `action "s3:DeleteObject"`},
		{"action wildcard", stmt(`"Effect":"Allow","Principal":"*","Action":"s3:*"` + res), `action "s3:*"`},
		{"action prefix wildcard", stmt(`"Effect":"Allow","Principal":"*","Action":"s3:Get*"` + res), `action "s3:Get*"`},
		{"star action", stmt(`"Effect":"Allow","Principal":"*","Action":"*"` + res), `action "*"`},
		{"get object version", stmt(`"Effect":"Allow","Principal":"*","Action":"s3:GetObjectVersion"` + res), `action "s3:GetObjectVersion"`},
		{"empty action list", stmt(`"Effect":"Allow","Principal":"*","Action":[]` + res), "Action is empty"},
		{"action number", stmt(`"Effect":"Allow","Principal":"*","Action":[1]` + res), "Action must be a string"},
		{"other bucket", stmt(allowGet + `,"Resource":"arn:aws:s3:::other/*"`), "not in bucket photos"},
		{"bucket prefix of name", stmt(allowGet + `,"Resource":"arn:aws:s3:::photos2/*"`), "not in bucket photos"},
		{"bucket wildcard", stmt(allowGet + `,"Resource":"arn:aws:s3:::photo*/*"`), "not in bucket photos"},
		{"resource star", stmt(allowGet + `,"Resource":"*"`), `resource "*"`},
		{"resource not s3", stmt(allowGet + `,"Resource":"arn:aws:sqs:::photos/*"`), "is not supported"},
		{"wildcard in middle", stmt(allowGet + `,"Resource":"arn:aws:s3:::photos/*.jpg"`), "only at the end"},
		{"question mark", stmt(allowGet + `,"Resource":"arn:aws:s3:::photos/a?c"`), "'?' wildcards"},
		{"policy variable", stmt(allowGet + `,"Resource":"arn:aws:s3:::photos/${aws:username}/*"`), "policy variables"},
		{"empty key", stmt(allowGet + `,"Resource":"arn:aws:s3:::photos/"`), "names no object"},
		{"get on bucket only", stmt(allowGet + `,"Resource":"arn:aws:s3:::photos"`), "does not apply to any resource"},
		{"list on objects only", stmt(`"Effect":"Allow","Principal":"*","Action":"s3:ListBucket"` + res), "s3:ListBucket does not apply"},
		{"duplicate sid", `{"Statement":[{"Sid":"a",` + allowGet + res + `},{"Sid":"a",` + allowGet + res + `}]}`, `Sid "a" is used twice`},
		{"sid not a string", stmt(`"Sid":1,` + allowGet + res), "Sid must be a string"},
		{"too large", stmt(allowGet + res + `,"Sid":"` + strings.Repeat("x", MaxSize) + `"`), "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(b, []byte(tc.doc))
			if err == nil {
				t.Fatalf("accepted: %+v", p)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v does not wrap ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestNilPolicyAllowsNothing(t *testing.T) {
	var p *Policy
	if p.AllowsGetObject("a") || p.AllowsListBucket() || p.IsPublic() {
		t.Fatal("nil policy allows something")
	}
}
