package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/garage-web/garage-web/site"
)

// newProgress reports a deploy on w: a bar redrawn in place on a
// terminal, one line per file otherwise.
func newProgress(w io.Writer) site.Progress {
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return &barProgress{w: w}
		}
	}
	return &lineProgress{w: w}
}

type lineProgress struct{ w io.Writer }

func (p *lineProgress) Start(total, upload int) {
	fmt.Fprintf(p.w, "%d files: %d to upload, %d unchanged (copied on the server)\n", total, upload, total-upload)
}

func (p *lineProgress) Sent(f site.File, uploaded bool) {
	verb := "copied"
	if uploaded {
		verb = "uploaded"
	}
	fmt.Fprintf(p.w, "%s %s\n", verb, f.Key)
}

type barProgress struct {
	w           io.Writer
	total, done int
}

func (p *barProgress) Start(total, upload int) {
	p.total = total
	fmt.Fprintf(p.w, "%d files: %d to upload, %d unchanged\n", total, upload, total-upload)
	p.draw()
}

func (p *barProgress) Sent(site.File, bool) {
	p.done++
	p.draw()
	if p.done == p.total {
		fmt.Fprintln(p.w)
	}
}

func (p *barProgress) draw() {
	const width = 40
	n := width
	if p.total > 0 {
		n = p.done * width / p.total
	}
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d", strings.Repeat("#", n), strings.Repeat(" ", width-n), p.done, p.total)
}
