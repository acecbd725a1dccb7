package web

import (
	"mime"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Nix binary cache content types, as Nix itself uploads and serves them.
const (
	NixCacheInfoType = "text/x-nix-cache-info"
	NarInfoType      = "text/x-nix-narinfo"
	NarType          = "application/x-nix-nar"
)

// defaultTypes are the types of common web files, fixed here so that the
// answer does not depend on the host's /etc/mime.types.
var defaultTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".htm":         "text/html; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".webmanifest": "application/manifest+json",
	".xml":         "text/xml; charset=utf-8",
	".rss":         "application/rss+xml",
	".atom":        "application/atom+xml",
	".txt":         "text/plain; charset=utf-8",
	".md":          "text/markdown; charset=utf-8",
	".csv":         "text/csv; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".avif":        "image/avif",
	".ico":         "image/vnd.microsoft.icon",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".ttf":         "font/ttf",
	".otf":         "font/otf",
	".wasm":        "application/wasm",
	".pdf":         "application/pdf",
	".mp4":         "video/mp4",
	".webm":        "video/webm",
	".mp3":         "audio/mpeg",
	".ogg":         "audio/ogg",
	".opus":        "audio/opus",
	".gz":          "application/gzip",
	".br":          "application/x-brotli",
	".zst":         "application/zstd",
	".xz":          "application/x-xz",
	".zip":         "application/zip",
	".tar":         "application/x-tar",
}

// DefaultContentType is the Content-Type of an object stored without one,
// from its key: the Nix binary cache files first ("nix-cache-info",
// "*.narinfo", "*.nar" and compressed NARs such as "*.nar.xz"), then a
// fixed table of web types, then the system's MIME table, else
// "application/octet-stream".
func DefaultContentType(key string) string {
	base := path.Base(key)
	switch {
	case base == "nix-cache-info":
		return NixCacheInfoType
	case strings.HasSuffix(base, ".narinfo"):
		return NarInfoType
	case isNar(base):
		return NarType
	}
	ext := strings.ToLower(path.Ext(base))
	if t, ok := defaultTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" && ext != "" {
		return t
	}
	return "application/octet-stream"
}

// isNar reports whether a file name is a NAR: "x.nar" or "x.nar.<compression>".
func isNar(base string) bool {
	if strings.HasSuffix(base, ".nar") {
		return len(base) > len(".nar")
	}
	i := strings.LastIndex(base, ".nar.")
	return i > 0 && !strings.Contains(base[i+len(".nar."):], ".")
}

// compressible reports whether a precompressed sibling is worth looking
// for: text and other formats that compress well. Images, archives,
// media and NARs are already compressed, so requests for them cost no
// extra lookups.
func compressible(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	switch {
	case strings.HasPrefix(mt, "text/"),
		strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/javascript", "application/json", "application/xml",
		"application/wasm", "image/svg+xml", "image/vnd.microsoft.icon",
		"font/ttf", "font/otf", "application/x-ndjson":
		return true
	}
	return false
}

// encoding is a content coding with the suffix of its precompressed file.
type encoding struct {
	name, suffix string
}

// encodings are the codings served from precompressed siblings, in the
// server's order of preference (smallest files first).
var encodings = []encoding{{"br", ".br"}, {"zstd", ".zst"}, {"gzip", ".gz"}}

// acceptedEncodings returns the encodings an Accept-Encoding header allows,
// highest q-value first, ties in the server's order. "*" stands for every
// coding not named; a q-value of 0 refuses a coding; "x-gzip" is gzip.
func acceptedEncodings(header string) []encoding {
	if header == "" {
		return nil
	}
	q := map[string]float64{}
	star := -1.0
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "x-gzip" {
			name = "gzip"
		}
		weight := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				weight = f
			}
		}
		if name == "*" {
			star = weight
			continue
		}
		if old, ok := q[name]; !ok || weight > old {
			q[name] = weight
		}
	}
	type scored struct {
		e encoding
		q float64
	}
	var out []scored
	for _, e := range encodings {
		w, ok := q[e.name]
		if !ok {
			w = star
		}
		if w > 0 {
			out = append(out, scored{e, w})
		}
	}
	slices.SortStableFunc(out, func(a, b scored) int {
		switch {
		case a.q > b.q:
			return -1
		case a.q < b.q:
			return 1
		}
		return 0
	})
	es := make([]encoding, len(out))
	for i, s := range out {
		es[i] = s.e
	}
	return es
}
