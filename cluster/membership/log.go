package membership

import (
	"bytes"
	"context"
	"log"
	"log/slog"
)

// memberlistLogger returns a *log.Logger (what memberlist takes) that
// hands each line to l: "[WARN]" and "[ERR]" lines at Warn, the rest
// ("[DEBUG]", "[INFO]") at Debug.
func memberlistLogger(l *slog.Logger) *log.Logger {
	return log.New(slogWriter{l}, "", 0)
}

type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	n := len(p)
	line := bytes.TrimSpace(p)
	level := slog.LevelDebug
	for _, pre := range [][]byte{[]byte("[WARN]"), []byte("[ERR]"), []byte("[ERROR]")} {
		if bytes.HasPrefix(line, pre) {
			level = slog.LevelWarn
			break
		}
	}
	if i := bytes.IndexByte(line, ']'); len(line) > 0 && line[0] == '[' && i > 0 {
		line = bytes.TrimSpace(line[i+1:])
	}
	line = bytes.TrimPrefix(line, []byte("memberlist: "))
	w.l.Log(context.Background(), level, "memberlist: "+string(line))
	return n, nil
}
