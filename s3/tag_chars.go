package s3

import (
	"strings"
	"unicode"
)

// tagSymbols are the characters other than letters, numbers and spaces
// that AWS allows in tag keys and values.
const tagSymbols = "+-=._:/@"

// tagCharsOK reports whether s uses only the characters AWS allows in a
// tag key or value: Unicode letters (category L), numbers (N) and
// separators such as the space (Z), and + - = . _ : / @ (the pattern
// ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ of AWS's documentation). Tabs, line
// breaks and other punctuation are refused with InvalidTag.
func tagCharsOK(s string) bool {
	for _, r := range s {
		if !unicode.In(r, unicode.L, unicode.N, unicode.Z) && !strings.ContainsRune(tagSymbols, r) {
			return false
		}
	}
	return true
}
