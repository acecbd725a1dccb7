package policy

import (
	"bytes"
	"encoding/json"
	"io"
)

// member is one member of a JSON object, in document order.
type member struct {
	name string
	raw  json.RawMessage
}

// object decodes a JSON object strictly: its members in order, refusing
// duplicate names (encoding/json would keep the last one silently, so
// {"Effect":"Deny","Effect":"Allow"} would read as Allow) and anything
// after the object. what names the object in errors.
func object(data []byte, what string) ([]member, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	tok, err := d.Token()
	if err != nil {
		return nil, malformed("%s is not valid JSON: %v", what, err)
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return nil, malformed("%s must be a JSON object", what)
	}
	var out []member
	seen := map[string]bool{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, malformed("%s is not valid JSON: %v", what, err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, malformed("%s is not valid JSON", what)
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return nil, malformed("%s: %s is not valid JSON: %v", what, name, err)
		}
		if seen[name] {
			return nil, malformed("%s has %q twice", what, name)
		}
		seen[name] = true
		out = append(out, member{name, raw})
	}
	if _, err := d.Token(); err != nil { // the closing brace
		return nil, malformed("%s is not valid JSON: %v", what, err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, malformed("%s has data after its end", what)
	}
	return out, nil
}

// stringValue decodes a JSON string.
func stringValue(raw json.RawMessage, what string) (string, error) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", malformed("%s must be a string", what)
	}
	return s, nil
}

// stringList decodes a JSON string or a non-empty array of strings.
func stringList(raw json.RawMessage, what string) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		s, err := stringValue(raw, what)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	var items []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil, malformed("%s must be a string or an array of strings", what)
	}
	if len(items) == 0 {
		return nil, malformed("%s is empty", what)
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, err := stringValue(bytes.TrimSpace(it), what)
		if err != nil {
			return nil, malformed("%s must be a string or an array of strings", what)
		}
		out = append(out, s)
	}
	return out, nil
}
