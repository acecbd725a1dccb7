package sigv4

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/garage-web/garage-web/s3/s3err"
)

// PostPolicy is the decoded policy document of a browser POST upload.
type PostPolicy struct {
	Expiration time.Time
	Conditions []Condition

	now func() time.Time
}

// Condition is one entry of a POST policy's conditions.
type Condition struct {
	// Op is "eq", "starts-with" or "content-length-range". The object form
	// {"field": "value"} is an "eq".
	Op string
	// Field is the lower-case form field name, without the leading '$'.
	// Empty for content-length-range.
	Field string
	// Value is the expected value (eq) or prefix (starts-with).
	Value string
	// Min and Max bound the file size (content-length-range), inclusive.
	Min, Max int64
	// raw is the condition as written, for error messages.
	raw string
}

func postFieldError(field string) error {
	return s3err.WithMessage(s3err.ErrInvalidArgument, "Bucket POST must contain a field named '%s'.", field)
}

func invalidPolicy(format string, args ...any) error {
	return s3err.WithMessage(s3err.ErrInvalidArgument, "Invalid Policy: "+format, args...)
}

// VerifyPostPolicy checks a POST form's x-amz-signature over its base64
// policy (with the x-amz-algorithm, x-amz-credential and x-amz-date form
// fields) and returns the access key id and the decoded policy. Field names
// are case-insensitive. A form with no signature, credential or policy is
// anonymous: it returns "", nil, nil.
//
// The policy's expiration and conditions are not checked here: call
// PostPolicy.Check with every form field and the file size.
func (v *Verifier) VerifyPostPolicy(ctx context.Context, form map[string]string) (accessKeyID string, policy *PostPolicy, err error) {
	f := lowerKeys(form)
	if f["x-amz-signature"] == "" && f["x-amz-credential"] == "" && f["policy"] == "" {
		if f["awsaccesskeyid"] != "" || f["signature"] != "" {
			return "", nil, errUnsupportedAuth
		}
		return "", nil, nil
	}
	for _, name := range []string{"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "policy"} {
		if f[name] == "" {
			return "", nil, postFieldError(name)
		}
	}
	if f["x-amz-algorithm"] != algorithm {
		return "", nil, s3err.WithMessage(s3err.ErrInvalidArgument, "x-amz-algorithm only supports %q", algorithm)
	}
	cred, err := parseCredential(f["x-amz-credential"])
	if err != nil {
		return "", nil, byPostForm.malformed("%v", err)
	}
	t, err := time.Parse(amzDateFormat, f["x-amz-date"])
	if err != nil {
		return "", nil, s3err.WithMessage(s3err.ErrInvalidArgument, "x-amz-date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	if err := v.checkScope(cred, t, byPostForm); err != nil {
		return "", nil, err
	}
	encoded := f["policy"]
	if len(encoded) > maxPolicySize {
		return "", nil, invalidPolicy("the policy is larger than %d bytes", maxPolicySize)
	}
	key, err := v.key(ctx, cred)
	if err != nil {
		return "", nil, err
	}
	if !equalSignatures(signHex(key, encoded), f["x-amz-signature"]) {
		return "", nil, s3err.ErrSignatureDoesNotMatch
	}
	p, err := parsePolicy(encoded)
	if err != nil {
		return "", nil, err
	}
	p.now = v.now
	return cred.accessKey, p, nil
}

// ParsePostPolicy decodes the base64 policy of a POST form whose signature
// was checked another way (Signature Version 2, in s3/sigv2). Check it with
// PostPolicy.Check as for a SigV4 form.
func ParsePostPolicy(encoded string) (*PostPolicy, error) {
	if len(encoded) > maxPolicySize {
		return nil, invalidPolicy("the policy is larger than %d bytes", maxPolicySize)
	}
	return parsePolicy(encoded)
}

// parsePolicy decodes a base64 policy document.
func parsePolicy(encoded string) (*PostPolicy, error) {
	doc, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, invalidPolicy("the policy is not valid base64")
	}
	var raw struct {
		Expiration *string           `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, invalidPolicy("Invalid JSON.")
	}
	if raw.Expiration == nil {
		return nil, invalidPolicy("Policy missing expiration.")
	}
	p := &PostPolicy{}
	if p.Expiration, err = time.Parse(time.RFC3339Nano, *raw.Expiration); err != nil {
		return nil, invalidPolicy("Invalid 'expiration' value: %q", *raw.Expiration)
	}
	for _, c := range raw.Conditions {
		conds, err := parseCondition(c)
		if err != nil {
			return nil, err
		}
		p.Conditions = append(p.Conditions, conds...)
	}
	return p, nil
}

// parseCondition parses {"field": "value"} (one eq per key) or
// ["op", "$field", "value"] or ["content-length-range", min, max].
func parseCondition(c json.RawMessage) ([]Condition, error) {
	text := string(c)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(c, &obj); err == nil {
		var out []Condition
		for k, v := range obj {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, invalidPolicy("condition %s: the value of %q must be a string", text, k)
			}
			out = append(out, Condition{Op: "eq", Field: strings.ToLower(k), Value: s, raw: text})
		}
		return out, nil
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(c, &arr); err != nil || len(arr) != 3 {
		return nil, invalidPolicy("condition %s is neither an object nor a three-element array", text)
	}
	var op string
	if err := json.Unmarshal(arr[0], &op); err != nil {
		return nil, invalidPolicy("condition %s: the operation must be a string", text)
	}
	switch op = strings.ToLower(op); op {
	case "eq", "starts-with":
		var field, value string
		if json.Unmarshal(arr[1], &field) != nil || json.Unmarshal(arr[2], &value) != nil || !strings.HasPrefix(field, "$") {
			return nil, invalidPolicy("condition %s must be [%q, \"$field\", \"value\"]", text, op)
		}
		return []Condition{{Op: op, Field: strings.ToLower(field[1:]), Value: value, raw: text}}, nil
	case "content-length-range":
		lo, err1 := policyInt(arr[1])
		hi, err2 := policyInt(arr[2])
		if err1 != nil || err2 != nil || lo < 0 || hi < lo {
			return nil, invalidPolicy("condition %s must be [\"content-length-range\", min, max]", text)
		}
		return []Condition{{Op: op, Min: lo, Max: hi, raw: text}}, nil
	}
	return nil, invalidPolicy("condition %s has an unknown operation %q", text, op)
}

// policyInt reads a JSON number or a string holding one.
func policyInt(m json.RawMessage) (int64, error) {
	var n json.Number
	if err := json.Unmarshal(m, &n); err == nil {
		return n.Int64()
	}
	var s string
	if err := json.Unmarshal(m, &s); err != nil {
		return 0, err
	}
	return strconv.ParseInt(s, 10, 64)
}

// ContentLengthRange returns the content-length-range of the policy, so that
// the caller can stop reading a file that grows past max.
func (p *PostPolicy) ContentLengthRange() (min, max int64, ok bool) {
	for _, c := range p.Conditions {
		if c.Op == "content-length-range" {
			return c.Min, c.Max, true
		}
	}
	return 0, 0, false
}

// needsCondition reports whether a form field must be covered by a policy
// condition. The signature and policy themselves, the file and (as in AWS)
// x-ignore-* fields need none; the bucket comes from the URL, so the policy
// may restrict it but need not name it.
func needsCondition(field string) bool {
	switch field {
	case "x-amz-signature", "policy", "file", "bucket":
		return false
	}
	return !strings.HasPrefix(field, "x-ignore-")
}

// Check verifies that the policy has not expired, that every condition holds
// for the form fields (names case-insensitive; the caller includes "bucket"
// and the final "key") and the file size, and that every form field is
// covered by a condition. Failures are s3err.ErrAccessDenied naming the
// condition, except a size outside content-length-range, which is
// s3err.ErrEntityTooSmall or s3err.ErrEntityTooLarge as in AWS.
func (p *PostPolicy) Check(form map[string]string, size int64) error {
	now := time.Now
	if p.now != nil {
		now = p.now
	}
	if !now().Before(p.Expiration) {
		return s3err.WithMessage(s3err.ErrAccessDenied, "Invalid according to Policy: Policy expired.")
	}
	f := lowerKeys(form)
	covered := map[string]bool{}
	for _, c := range p.Conditions {
		value := f[c.Field]
		covered[c.Field] = true
		switch c.Op {
		case "eq":
			if value != c.Value {
				return conditionFailed(c)
			}
		case "starts-with":
			if !startsWith(c.Field, value, c.Value) {
				return conditionFailed(c)
			}
		case "content-length-range":
			if size < c.Min {
				return s3err.WithMessage(s3err.ErrEntityTooSmall,
					"Your proposed upload is smaller than the minimum allowed size (%d < %d).", size, c.Min)
			}
			if size > c.Max {
				return s3err.WithMessage(s3err.ErrEntityTooLarge,
					"Your proposed upload exceeds the maximum allowed size (%d > %d).", size, c.Max)
			}
		}
	}
	var extra []string
	for name := range f {
		if !covered[name] && needsCondition(name) {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return s3err.WithMessage(s3err.ErrAccessDenied,
			"Invalid according to Policy: Extra input fields: %s", strings.Join(extra, ", "))
	}
	return nil
}

// startsWith applies a starts-with condition. For Content-Type, every
// comma-separated value must have the prefix (as in AWS).
func startsWith(field, value, prefix string) bool {
	if field != "content-type" {
		return strings.HasPrefix(value, prefix)
	}
	for _, v := range strings.Split(value, ",") {
		if !strings.HasPrefix(strings.TrimSpace(v), prefix) {
			return false
		}
	}
	return true
}

func conditionFailed(c Condition) error {
	return s3err.WithMessage(s3err.ErrAccessDenied, "Invalid according to Policy: Policy Condition failed: %s", c)
}

func lowerKeys(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// String renders the condition as it appeared in the policy.
func (c Condition) String() string {
	if c.raw != "" {
		return c.raw
	}
	if c.Op == "content-length-range" {
		return fmt.Sprintf("[%q, %d, %d]", c.Op, c.Min, c.Max)
	}
	return fmt.Sprintf("[%q, %q, %q]", c.Op, "$"+c.Field, c.Value)
}
