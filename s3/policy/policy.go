// Package policy parses and matches the subset of S3 bucket policies
// garage-web implements: statements that let everyone (Principal "*")
// read objects of the bucket, all of them or those under a key prefix
// (s3:GetObject), and list it (s3:ListBucket).
//
// Everything else is refused with an error naming it, never ignored: a
// Deny, NotPrincipal, NotAction, NotResource or Condition, a principal
// other than everyone, an action other than those two (wildcards
// included), a resource outside the bucket or with a wildcard anywhere but
// at its end, unknown or duplicate JSON members. A policy that parses thus
// means exactly what it says.
//
// The package is pure: no I/O, safe for concurrent use.
package policy

import (
	"errors"
	"fmt"
	"strings"
)

// MaxSize is the largest policy document accepted (AWS's limit, 20 KiB).
const MaxSize = 20 << 10

// The actions a policy may allow.
const (
	ActionGetObject  = "s3:GetObject"
	ActionListBucket = "s3:ListBucket"
)

// ErrMalformed wraps every refusal of Parse.
var ErrMalformed = errors.New("malformed policy")

// ErrTooLarge is returned for documents over MaxSize.
var ErrTooLarge = fmt.Errorf("%w: the policy is larger than %d bytes", ErrMalformed, MaxSize)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Policy is a parsed bucket policy.
type Policy struct {
	Statements []Statement
}

// Statement is one accepted statement: Effect Allow, Principal everyone.
type Statement struct {
	Sid string
	// List: s3:ListBucket on the bucket.
	List bool
	// Get: s3:GetObject on the keys Objects match.
	Get bool
	// Objects are the object resources of the statement.
	Objects []Resource
}

// Resource is an object resource: every key starting with Prefix when
// Wildcard (the ARN ended in "*"), else exactly the key Prefix.
type Resource struct {
	Prefix   string
	Wildcard bool
}

// Matches reports whether key is named by the resource.
func (r Resource) Matches(key string) bool {
	if r.Wildcard {
		return strings.HasPrefix(key, r.Prefix)
	}
	return key == r.Prefix
}

// AllowsGetObject reports whether the policy lets everyone read key.
func (p *Policy) AllowsGetObject(key string) bool {
	if p == nil {
		return false
	}
	for _, s := range p.Statements {
		if !s.Get {
			continue
		}
		for _, r := range s.Objects {
			if r.Matches(key) {
				return true
			}
		}
	}
	return false
}

// AllowsListBucket reports whether the policy lets everyone list the
// bucket.
func (p *Policy) AllowsListBucket() bool {
	if p == nil {
		return false
	}
	for _, s := range p.Statements {
		if s.List {
			return true
		}
	}
	return false
}

// IsPublic reports whether the policy grants anything to everyone (every
// statement garage-web accepts does).
func (p *Policy) IsPublic() bool { return p != nil && len(p.Statements) > 0 }
