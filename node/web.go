package node

import (
	"net/http"
	"sync"

	"github.com/garage-web/garage-web/web"
)

// webEndpoints holds each node's web endpoint, built once (its metrics can
// be registered only once): *Node → *webEndpoint. Nodes live as long as
// the process, so entries are never removed.
var webEndpoints sync.Map

type webEndpoint struct {
	once sync.Once
	h    http.Handler
	err  error
}

// webHandler returns the node's web endpoint, building it on first use.
func (n *Node) webHandler() (http.Handler, error) {
	v, _ := webEndpoints.LoadOrStore(n, &webEndpoint{})
	e := v.(*webEndpoint)
	e.once.Do(func() {
		var s *web.Server
		s, e.err = web.New(web.Config{RootDomain: n.cfg.S3Web.RootDomain, AccessLog: n.cfg.S3Web.AccessLog}, n.model, n.registry, n.log.With("api", "web"))
		if e.err == nil {
			e.h = s
		}
	})
	return e.h, e.err
}
