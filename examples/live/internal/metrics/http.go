package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Handler serves snap() in Prometheus text format on GET (and HEAD) of
// /metrics, and nothing else.
func Handler(snap func() Snapshot) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		snap().WritePrometheus(w)
	})
	return mux
}

// Serve listens on addr (host:port; port 0 picks one) and serves Handler
// until ctx is done. It returns the address listened on, and a channel that
// yields the server's error (nil after a clean shutdown) and closes.
func Serve(ctx context.Context, addr string, snap func() Snapshot) (net.Addr, <-chan error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{
		Handler:           Handler(snap),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	done := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
		close(done)
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	return ln.Addr(), done, nil
}
