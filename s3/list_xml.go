package s3

import (
	"net/http"
	"strconv"
	"unicode/utf8"
)

// A page of a listing is up to 1,000 entries: written by hand, it costs
// a fraction of what encoding/xml's reflection does, which was as much as
// reading the page. The document is byte for byte what xml.Marshal gives
// for the same struct (list_xml_test.go compares them).

// writeListXML writes a ListBucketResult document.
func writeListXML(w http.ResponseWriter, res *listBucketResult) error {
	b := make([]byte, 0, 512+len(res.Contents)*256)
	b = append(b, xmlHeader...)
	b = res.appendXML(b)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}

// xmlHeader is xml.Header.
const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// appendXML appends r as xml.Marshal renders it.
func (r *listBucketResult) appendXML(b []byte) []byte {
	b = append(b, `<ListBucketResult xmlns="`...)
	b = appendEscaped(b, r.Xmlns)
	b = append(b, `">`...)
	b = appendElem(b, "Name", r.Name)
	b = appendElem(b, "Prefix", r.Prefix)
	if r.Marker != nil {
		b = appendElem(b, "Marker", *r.Marker)
	}
	b = appendElemOmit(b, "NextMarker", r.NextMarker)
	b = appendElemOmit(b, "StartAfter", r.StartAfter)
	if r.ContToken != nil {
		b = appendElem(b, "ContinuationToken", *r.ContToken)
	}
	b = appendElemOmit(b, "NextContinuationToken", r.NextContToken)
	if r.KeyCount != nil {
		b = appendIntElem(b, "KeyCount", int64(*r.KeyCount))
	}
	b = appendIntElem(b, "MaxKeys", int64(r.MaxKeys))
	b = appendElemOmit(b, "Delimiter", r.Delimiter)
	b = appendElemOmit(b, "EncodingType", r.EncodingType)
	b = append(b, "<IsTruncated>"...)
	b = strconv.AppendBool(b, r.IsTruncated)
	b = append(b, "</IsTruncated>"...)
	for i := range r.Contents {
		b = r.Contents[i].appendXML(b)
	}
	for _, p := range r.CommonPrefixes {
		b = append(b, "<CommonPrefixes>"...)
		b = appendElem(b, "Prefix", p.Prefix)
		b = append(b, "</CommonPrefixes>"...)
	}
	return append(b, "</ListBucketResult>"...)
}

// appendXML appends one <Contents> element.
func (it *objectItem) appendXML(b []byte) []byte {
	b = append(b, "<Contents>"...)
	b = appendElem(b, "Key", it.Key)
	b = appendElem(b, "LastModified", it.LastModified)
	b = appendElem(b, "ETag", it.ETag)
	b = appendIntElem(b, "Size", it.Size)
	b = appendElem(b, "StorageClass", it.StorageClass)
	b = appendElemOmit(b, "ChecksumAlgorithm", it.ChecksumAlgorithm)
	b = appendElemOmit(b, "ChecksumType", it.ChecksumType)
	if it.Owner != nil {
		b = append(b, "<Owner>"...)
		b = appendElem(b, "ID", it.Owner.ID)
		b = appendElem(b, "DisplayName", it.Owner.DisplayName)
		b = append(b, "</Owner>"...)
	}
	return append(b, "</Contents>"...)
}

func appendElem(b []byte, name, v string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = appendEscaped(b, v)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// appendElemOmit is appendElem for an omitempty field.
func appendElemOmit(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	return appendElem(b, name, v)
}

func appendIntElem(b []byte, name string, v int64) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = strconv.AppendInt(b, v, 10)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// appendEscaped appends s escaped as xml.EscapeText does: the five
// markup characters and tab, newline and carriage return as character
// references, and what XML cannot hold (invalid UTF-8, characters
// outside its range) as U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\'' && c != '&' && c != '<' && c != '>' {
			i++
			continue
		}
		r, width := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == '"':
			esc = "&#34;"
		case r == '\'':
			esc = "&#39;"
		case r == '&':
			esc = "&amp;"
		case r == '<':
			esc = "&lt;"
		case r == '>':
			esc = "&gt;"
		case r == '\t':
			esc = "&#x9;"
		case r == '\n':
			esc = "&#xA;"
		case r == '\r':
			esc = "&#xD;"
		case !inXMLRange(r) || r == utf8.RuneError && width == 1:
			esc = "\uFFFD"
		default:
			i += width
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		i += width
		last = i
	}
	return append(b, s[last:]...)
}

// inXMLRange reports whether r is a character XML 1.0 allows.
func inXMLRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
