package admin

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure a Server.
type Options struct {
	Backend Backend // required
	// AdminToken is the Bearer token of every /v2 operation; required.
	AdminToken string
	// MetricsToken is the Bearer token of /metrics; "" leaves it open.
	MetricsToken string
	// Registry is served on /metrics, and receives the admin API's own
	// metrics. Nil: /metrics answers 404.
	Registry *prometheus.Registry
	Logger   *slog.Logger // nil: slog.Default()
	Sites    SiteBackend  // nil: the site operations answer 501 (site.go)
}

// Server is the admin API's http.Handler. It is safe for concurrent use.
type Server struct {
	backend      Backend
	adminToken   string
	metricsToken string
	log          *slog.Logger
	metrics      http.Handler // nil when there is no registry
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	mux          *chi.Mux
	sites        SiteBackend
}

var _ http.Handler = (*Server)(nil)

// maxBodySize bounds request bodies; admin requests are small.
const maxBodySize = 1 << 20

// NewServer returns the admin API over o.Backend.
func NewServer(o Options) (*Server, error) {
	if o.Backend == nil {
		return nil, errors.New("admin: no backend")
	}
	if o.AdminToken == "" {
		return nil, errors.New("admin: empty admin token")
	}
	s := &Server{
		backend:      o.Backend,
		adminToken:   o.AdminToken,
		metricsToken: o.MetricsToken,
		log:          o.Logger,
		sites:        o.Sites,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if o.Registry != nil {
		if err := s.registerMetrics(o.Registry); err != nil {
			return nil, err
		}
		s.metrics = promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{})
	}
	s.mux = chi.NewRouter()
	s.mux.Use(middleware.RequestID)
	for _, rt := range s.routes() {
		s.mux.Method(rt.method, rt.path, s.wrap(rt))
	}
	s.mux.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, newError(errNoSuchOperation, "unknown admin API operation %s", r.URL.Path))
	})
	s.mux.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, newError(errMethodNotAllowed, "%s does not accept %s", r.URL.Path, r.Method))
	})
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// handlerFunc is an endpoint. It writes the success response itself and
// returns errors for writeError.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// auth is who may call an endpoint.
type auth int

const (
	authNone    auth = iota // anyone
	authMetrics             // metrics_token, when set
	authAdmin               // admin_token
)

type route struct {
	method, path string
	op           string // operation name, a metric label
	auth         auth
	h            handlerFunc
}

// routes is the whole API, in one table.
func (s *Server) routes() []route {
	return append([]route{
		{http.MethodGet, "/health", "Health", authNone, s.health},
		{http.MethodGet, "/metrics", "Metrics", authMetrics, s.serveMetrics},
		{http.MethodGet, "/v2/GetNodeInfo", "GetNodeInfo", authAdmin, s.getNodeInfo},
		{http.MethodGet, "/v2/GetNodeTableStatus", "GetNodeTableStatus", authAdmin, s.getNodeTableStatus},

		{http.MethodGet, "/v2/GetClusterStatus", "GetClusterStatus", authAdmin, s.getClusterStatus},
		{http.MethodGet, "/v2/GetClusterHealth", "GetClusterHealth", authAdmin, s.getClusterHealth},
		{http.MethodPost, "/v2/ConnectClusterNodes", "ConnectClusterNodes", authAdmin, s.connectClusterNodes},
		{http.MethodGet, "/v2/GetClusterLayout", "GetClusterLayout", authAdmin, s.getClusterLayout},
		{http.MethodGet, "/v2/GetClusterLayoutHistory", "GetClusterLayoutHistory", authAdmin, s.getClusterLayoutHistory},
		{http.MethodPost, "/v2/UpdateClusterLayout", "UpdateClusterLayout", authAdmin, s.updateClusterLayout},
		{http.MethodPost, "/v2/PreviewClusterLayoutChanges", "PreviewClusterLayoutChanges", authAdmin, s.previewClusterLayoutChanges},
		{http.MethodPost, "/v2/ApplyClusterLayout", "ApplyClusterLayout", authAdmin, s.applyClusterLayout},
		{http.MethodPost, "/v2/RevertClusterLayout", "RevertClusterLayout", authAdmin, s.revertClusterLayout},

		{http.MethodPost, "/v2/CreateKey", "CreateKey", authAdmin, s.createKey},
		{http.MethodPost, "/v2/ImportKey", "ImportKey", authAdmin, s.importKey},
		{http.MethodGet, "/v2/ListKeys", "ListKeys", authAdmin, s.listKeys},
		{http.MethodGet, "/v2/GetKeyInfo", "GetKeyInfo", authAdmin, s.getKeyInfo},
		{http.MethodPost, "/v2/UpdateKey", "UpdateKey", authAdmin, s.updateKey},
		{http.MethodPost, "/v2/DeleteKey", "DeleteKey", authAdmin, s.deleteKey},

		{http.MethodPost, "/v2/CreateBucket", "CreateBucket", authAdmin, s.createBucket},
		{http.MethodGet, "/v2/ListBuckets", "ListBuckets", authAdmin, s.listBuckets},
		{http.MethodGet, "/v2/GetBucketInfo", "GetBucketInfo", authAdmin, s.getBucketInfo},
		{http.MethodPost, "/v2/UpdateBucket", "UpdateBucket", authAdmin, s.updateBucket},
		{http.MethodPost, "/v2/DeleteBucket", "DeleteBucket", authAdmin, s.deleteBucket},
		{http.MethodPost, "/v2/EmptyBucket", "EmptyBucket", authAdmin, s.emptyBucket},
		{http.MethodPost, "/v2/AllowBucketKey", "AllowBucketKey", authAdmin, s.allowBucketKey},
		{http.MethodPost, "/v2/DenyBucketKey", "DenyBucketKey", authAdmin, s.denyBucketKey},

		// Go profiles, for operators chasing a slow or hungry node:
		// go tool pprof -H "Authorization: Bearer $TOKEN" http://ADDR/debug/pprof/profile
		{http.MethodGet, "/debug/pprof/*", "Pprof", authAdmin, servePprof},
	}, append(s.siteRoutes(), s.repairRoutes()...)...)
}

// servePprof serves net/http/pprof's handlers behind the admin token.
func servePprof(w http.ResponseWriter, r *http.Request) error {
	switch name := strings.TrimPrefix(r.URL.Path, "/debug/pprof/"); name {
	case "":
		pprof.Index(w, r)
	case "cmdline":
		pprof.Cmdline(w, r)
	case "profile":
		pprof.Profile(w, r)
	case "symbol":
		pprof.Symbol(w, r)
	case "trace":
		pprof.Trace(w, r)
	default:
		pprof.Handler(name).ServeHTTP(w, r)
	}
	return nil
}

// wrap adds authentication, metrics, logging and error writing to an
// endpoint.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		ww.Header().Set("X-Request-Id", middleware.GetReqID(r.Context()))
		err := s.authorize(rt.auth, r)
		if err == nil {
			r.Body = http.MaxBytesReader(ww, r.Body, maxBodySize)
			err = call(rt.h, ww, r)
		}
		if err != nil {
			writeError(ww, r, s.log, err)
		}
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		if s.requests != nil {
			s.requests.WithLabelValues(rt.op, strconv.Itoa(status)).Inc()
			s.duration.WithLabelValues(rt.op).Observe(time.Since(start).Seconds())
		}
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "admin API request",
			slog.String("op", rt.op), slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", middleware.GetReqID(r.Context())))
	})
}

// call runs h, turning a panic into an error so that it is answered and
// logged like any internal error.
func call(h handlerFunc, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return h(w, r)
}

func (s *Server) authorize(a auth, r *http.Request) error {
	var want string
	switch a {
	case authNone:
		return nil
	case authMetrics:
		if s.metricsToken == "" {
			return nil
		}
		want = s.metricsToken
	case authAdmin:
		want = s.adminToken
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return newError(ErrUnauthorized, "missing Authorization: Bearer token")
	}
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return newError(ErrUnauthorized, "Authorization is not a Bearer token")
	}
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(want)) != 1 {
		return newError(ErrForbidden, "invalid token")
	}
	return nil
}

func (s *Server) registerMetrics(reg *prometheus.Registry) error {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "garageweb", Subsystem: "admin", Name: "requests_total",
		Help: "Admin API requests by operation and HTTP status.",
	}, []string{"operation", "status"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "garageweb", Subsystem: "admin", Name: "request_duration_seconds",
		Help:    "Admin API request duration by operation.",
		Buckets: prometheus.DefBuckets,
	}, []string{"operation"})
	var err error
	if s.requests, err = registerOrReuse(reg, requests); err != nil {
		return err
	}
	s.duration, err = registerOrReuse(reg, duration)
	return err
}

// registerOrReuse registers c, or returns the identical collector a
// previous Server registered on reg.
func registerOrReuse[C prometheus.Collector](reg *prometheus.Registry, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}
