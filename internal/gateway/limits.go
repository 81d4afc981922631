package gateway

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

var discardLog = slog.New(slog.DiscardHandler)

// rateBody enforces a minimum average rate on a request body: by the time
// t after the body started, grace + read/rate must not have passed. It
// sets the connection's read deadline before each Read, so a client that
// trickles (or stops) is cut off by the kernel's clock, not by a timer of
// ours, and its connection and the upstream's are freed.
type rateBody struct {
	body    io.ReadCloser
	rc      *http.ResponseController
	start   time.Time
	grace   time.Duration
	perByte time.Duration
	read    int64
	eof     bool
	tripped atomic.Bool
}

type rateBodyKey struct{}

func withBodyRate(w http.ResponseWriter, r *http.Request, rate int, grace time.Duration) *http.Request {
	b := &rateBody{body: r.Body, rc: http.NewResponseController(w), start: time.Now(), grace: grace, perByte: time.Second / time.Duration(rate)}
	if b.perByte == 0 {
		b.perByte = 1
	}
	r = r.WithContext(context.WithValue(r.Context(), rateBodyKey{}, b))
	r.Body = b
	return r
}

func (b *rateBody) Read(p []byte) (int, error) {
	if b.eof {
		// The server now reads the connection in the background (to see
		// the client go away) with no deadline: a deadline set now would
		// cancel a request whose body came in time.
		return b.body.Read(p)
	}
	deadline := b.start.Add(b.grace + time.Duration(b.read+1)*b.perByte)
	// The connection may not support deadlines (a test recorder): then
	// the rate is not enforced, which is only ever the case in tests.
	_ = b.rc.SetReadDeadline(deadline)
	n, err := b.body.Read(p)
	b.read += int64(n)
	b.eof = err == io.EOF
	if err != nil && err != io.EOF {
		if ne, ok := err.(net.Error); ok && ne.Timeout() || time.Now().After(deadline) {
			b.tripped.Store(true)
		}
	}
	return n, err
}

func (b *rateBody) Close() error { return b.body.Close() }

// slowBody reports whether r's body was cut off for its rate.
func slowBody(r *http.Request) bool {
	b, ok := r.Context().Value(rateBodyKey{}).(*rateBody)
	return ok && b.tripped.Load()
}

// limitListener accepts at most n connections at once; the others wait in
// the kernel's accept queue, which costs the process nothing.
type limitListener struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func newLimitListener(ln net.Listener, n int) net.Listener {
	if n <= 0 {
		return ln
	}
	return &limitListener{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}
