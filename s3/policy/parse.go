package policy

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// arnPrefix starts every S3 resource ARN.
const arnPrefix = "arn:aws:s3:::"

// Parse parses the policy document doc of bucket. Every refusal wraps
// ErrMalformed and names what it refuses.
func Parse(bucket string, doc []byte) (*Policy, error) {
	if len(doc) > MaxSize {
		return nil, ErrTooLarge
	}
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 || doc[0] != '{' {
		return nil, malformed("policies must be valid JSON and the first byte must be '{'")
	}
	top, err := object(doc, "the policy")
	if err != nil {
		return nil, err
	}
	var statements json.RawMessage
	for _, m := range top {
		switch m.name {
		case "Version":
			v, err := stringValue(m.raw, "Version")
			if err != nil {
				return nil, err
			}
			if v != "2012-10-17" && v != "2008-10-17" {
				return nil, malformed("Version %q is not supported: use \"2012-10-17\"", v)
			}
		case "Id":
			if _, err := stringValue(m.raw, "Id"); err != nil {
				return nil, err
			}
		case "Statement":
			statements = m.raw
		default:
			return nil, malformed("the policy element %q is not supported (only Version, Id and Statement are)", m.name)
		}
	}
	if statements == nil {
		return nil, malformed("the policy has no Statement")
	}
	var raws []json.RawMessage
	statements = bytes.TrimSpace(statements)
	switch {
	case len(statements) > 0 && statements[0] == '{':
		raws = []json.RawMessage{statements}
	case len(statements) > 0 && statements[0] == '[':
		if err := json.Unmarshal(statements, &raws); err != nil {
			return nil, malformed("Statement must be an object or an array of objects")
		}
	default:
		return nil, malformed("Statement must be an object or an array of objects")
	}
	if len(raws) == 0 {
		return nil, malformed("Statement is empty")
	}
	p := &Policy{}
	sids := map[string]bool{}
	for i, raw := range raws {
		s, err := parseStatement(bucket, raw, i)
		if err != nil {
			return nil, err
		}
		if s.Sid != "" {
			if sids[s.Sid] {
				return nil, malformed("statement ids must be unique: Sid %q is used twice", s.Sid)
			}
			sids[s.Sid] = true
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

// parseStatement parses statement number i (from 0).
func parseStatement(bucket string, raw json.RawMessage, i int) (Statement, error) {
	what := "statement " + strconv.Itoa(i+1)
	members, err := object(bytes.TrimSpace(raw), what)
	if err != nil {
		return Statement{}, err
	}
	var s Statement
	var effect, principal, actions, resources json.RawMessage
	for _, m := range members {
		switch m.name {
		case "Sid":
			if s.Sid, err = stringValue(m.raw, what+": Sid"); err != nil {
				return Statement{}, err
			}
			what = "statement " + strconv.Itoa(i+1) + " (Sid " + s.Sid + ")"
		case "Effect":
			effect = m.raw
		case "Principal":
			principal = m.raw
		case "Action":
			actions = m.raw
		case "Resource":
			resources = m.raw
		case "NotPrincipal", "NotAction", "NotResource", "Condition":
			return Statement{}, malformed("%s: %s is not supported by garage-web", what, m.name)
		default:
			return Statement{}, malformed("%s: the element %q is not supported", what, m.name)
		}
	}
	for _, req := range []struct {
		name string
		raw  json.RawMessage
	}{{"Effect", effect}, {"Principal", principal}, {"Action", actions}, {"Resource", resources}} {
		if req.raw == nil {
			return Statement{}, malformed("%s has no %s", what, req.name)
		}
	}
	e, err := stringValue(effect, what+": Effect")
	if err != nil {
		return Statement{}, err
	}
	switch e {
	case "Allow":
	case "Deny":
		return Statement{}, malformed("%s: Effect Deny is not supported by garage-web (only Allow; access is denied unless allowed)", what)
	default:
		return Statement{}, malformed("%s: invalid Effect %q", what, e)
	}
	if err := checkPrincipal(principal, what); err != nil {
		return Statement{}, err
	}
	names, err := stringList(actions, what+": Action")
	if err != nil {
		return Statement{}, err
	}
	for _, a := range names {
		switch {
		case strings.EqualFold(a, ActionGetObject):
			s.Get = true
		case strings.EqualFold(a, ActionListBucket):
			s.List = true
		default:
			return Statement{}, malformed("%s: the action %q is not supported by garage-web (only %s and %s)", what, a, ActionGetObject, ActionListBucket)
		}
	}
	arns, err := stringList(resources, what+": Resource")
	if err != nil {
		return Statement{}, err
	}
	bucketNamed := false
	for _, arn := range arns {
		r, isBucket, err := parseResource(bucket, arn, what)
		if err != nil {
			return Statement{}, err
		}
		if isBucket {
			bucketNamed = true
		} else {
			s.Objects = append(s.Objects, r)
		}
	}
	if s.Get && len(s.Objects) == 0 {
		return Statement{}, malformed("%s: action %s does not apply to any resource: name objects as %s%s/* or %s%s/prefix*", what, ActionGetObject, arnPrefix, bucket, arnPrefix, bucket)
	}
	if s.List && !bucketNamed {
		return Statement{}, malformed("%s: action %s does not apply to any resource: name the bucket as %s%s", what, ActionListBucket, arnPrefix, bucket)
	}
	if !s.Get && len(s.Objects) > 0 {
		return Statement{}, malformed("%s: no action applies to the object resource %s%s/%s", what, arnPrefix, bucket, objectPattern(s.Objects[0]))
	}
	return s, nil
}

func objectPattern(r Resource) string {
	if r.Wildcard {
		return r.Prefix + "*"
	}
	return r.Prefix
}

// checkPrincipal accepts only everyone: "*", {"AWS": "*"} or
// {"AWS": ["*"]}.
func checkPrincipal(raw json.RawMessage, what string) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		p, err := stringValue(raw, what+": Principal")
		if err != nil {
			return err
		}
		if p != "*" {
			return malformed("%s: Principal %q is not supported by garage-web (only \"*\", everyone)", what, p)
		}
		return nil
	}
	members, err := object(raw, what+": Principal")
	if err != nil {
		return err
	}
	if len(members) == 0 {
		return malformed("%s: Principal is empty", what)
	}
	for _, m := range members {
		if m.name != "AWS" {
			return malformed("%s: principal type %q is not supported by garage-web (only {\"AWS\": \"*\"})", what, m.name)
		}
		ids, err := stringList(m.raw, what+": Principal AWS")
		if err != nil {
			return err
		}
		for _, id := range ids {
			if id != "*" {
				return malformed("%s: principal %q is not supported by garage-web (only \"*\", everyone; give access keys rights with `garage-web bucket allow`)", what, id)
			}
		}
	}
	return nil
}

// parseResource parses one resource ARN: the bucket itself (isBucket), or
// objects of the bucket.
func parseResource(bucket, arn, what string) (r Resource, isBucket bool, err error) {
	rest, ok := strings.CutPrefix(arn, arnPrefix)
	if !ok {
		return Resource{}, false, malformed("%s: the resource %q is not supported: resources are %s%s or %s%s/...", what, arn, arnPrefix, bucket, arnPrefix, bucket)
	}
	name, key, hasKey := strings.Cut(rest, "/")
	if name != bucket {
		return Resource{}, false, malformed("%s: the resource %q is not in bucket %s (policy has invalid resource)", what, arn, bucket)
	}
	if !hasKey {
		return Resource{}, true, nil
	}
	if strings.Contains(key, "?") || strings.Contains(key, "${") {
		return Resource{}, false, malformed("%s: the resource %q is not supported: '?' wildcards and policy variables are not implemented", what, arn)
	}
	if i := strings.IndexByte(key, '*'); i >= 0 && i != len(key)-1 {
		return Resource{}, false, malformed("%s: the resource %q is not supported: a '*' is allowed only at the end", what, arn)
	}
	if strings.HasSuffix(key, "*") {
		return Resource{Prefix: strings.TrimSuffix(key, "*"), Wildcard: true}, false, nil
	}
	if key == "" {
		return Resource{}, false, malformed("%s: the resource %q names no object: use %s%s/* for every object", what, arn, arnPrefix, bucket)
	}
	return Resource{Prefix: key}, false, nil
}
