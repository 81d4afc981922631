// Package resp is a minimal Redis client on the standard library (RESP2
// over TCP or TLS): commands, replies and one subscription, what the
// command and the gateway need to share revocations through Redis
// without the main module depending on a Redis client library.
package resp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits on what a server may send, so that a wrong or hostile peer
// cannot make the client allocate without bound.
const (
	maxBulk  = 1 << 20    // bytes in one string
	maxArray = 10_000_000 // elements in one array
	maxLine  = 64 << 10   // bytes in a status, error or length line
)

// Options says where the server is, from a redis:// or rediss:// URL.
type Options struct {
	Addr     string // host:port
	TLS      bool   // rediss://
	Username string
	Password string
	DB       int
}

// ParseURL reads redis://[user[:password]@]host[:port][/db] (rediss://
// for TLS). The port defaults to 6379 and db to 0. It refuses other
// schemes, a query or fragment, a path other than a database number,
// and a missing host, so that a store address reads one way.
func ParseURL(raw string) (Options, error) {
	var o Options
	u, err := url.Parse(raw)
	if err != nil {
		return o, fmt.Errorf("store URL is not a URL")
	}
	switch u.Scheme {
	case "redis":
	case "rediss":
		o.TLS = true
	default:
		return o, fmt.Errorf("store URL %.64q: want redis://host:port/db or rediss://", raw)
	}
	if u.Hostname() == "" || u.Opaque != "" {
		return o, fmt.Errorf("store URL %.64q has no host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return o, fmt.Errorf("store URL %.64q: no query or fragment is understood", raw)
	}
	port := u.Port()
	if port == "" {
		port = "6379"
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return o, fmt.Errorf("store URL %.64q: bad port", raw)
	}
	o.Addr = net.JoinHostPort(u.Hostname(), port)
	if p := strings.TrimPrefix(u.Path, "/"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 1<<16 || strconv.Itoa(n) != p {
			return o, fmt.Errorf("store URL %.64q: the path must be a database number", raw)
		}
		o.DB = n
	}
	if u.User != nil {
		o.Username = u.User.Username()
		o.Password, _ = u.User.Password()
		if _, ok := u.User.Password(); !ok { // redis://password@host, the old form
			o.Username, o.Password = "", o.Username
		}
	}
	return o, nil
}

// ServerError is an error reply ("-ERR ...").
type ServerError string

func (e ServerError) Error() string { return "redis: " + string(e) }

// conn is one connection.
type conn struct {
	nc net.Conn
	r  *bufio.Reader
	w  *bufio.Writer
}

func dial(ctx context.Context, o Options) (*conn, error) {
	d := net.Dialer{Timeout: 2 * time.Second, KeepAlive: 15 * time.Second}
	var nc net.Conn
	var err error
	if o.TLS {
		host, _, _ := net.SplitHostPort(o.Addr)
		td := tls.Dialer{NetDialer: &d, Config: &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}}
		nc, err = td.DialContext(ctx, "tcp", o.Addr)
	} else {
		nc, err = d.DialContext(ctx, "tcp", o.Addr)
	}
	if err != nil {
		return nil, err
	}
	c := &conn{nc: nc, r: bufio.NewReader(nc), w: bufio.NewWriter(nc)}
	if deadline, ok := ctx.Deadline(); ok {
		nc.SetDeadline(deadline)
	}
	if o.Password != "" {
		args := []string{"AUTH", o.Password}
		if o.Username != "" {
			args = []string{"AUTH", o.Username, o.Password}
		}
		if _, err := c.do(args...); err != nil {
			nc.Close()
			return nil, err
		}
	}
	if o.DB != 0 {
		if _, err := c.do("SELECT", strconv.Itoa(o.DB)); err != nil {
			nc.Close()
			return nil, err
		}
	}
	nc.SetDeadline(time.Time{})
	return c, nil
}

func (c *conn) send(args ...string) error {
	c.w.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		c.w.WriteString("$" + strconv.Itoa(len(a)) + "\r\n")
		c.w.WriteString(a)
		c.w.WriteString("\r\n")
	}
	return c.w.Flush()
}

func (c *conn) do(args ...string) (any, error) {
	if err := c.send(args...); err != nil {
		return nil, err
	}
	return c.read()
}

// read reads one reply: string (status or bulk), int64, nil, []any, or a
// ServerError as the error.
func (c *conn) read() (any, error) {
	line, err := c.line()
	if err != nil {
		return nil, err
	}
	if len(line) == 0 {
		return nil, errors.New("redis: empty reply line")
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, ServerError(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > maxBulk {
			return nil, errors.New("redis: bad bulk length")
		}
		if n == -1 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return nil, errors.New("redis: bulk string not terminated")
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > maxArray {
			return nil, errors.New("redis: bad array length")
		}
		if n == -1 {
			return nil, nil
		}
		out := make([]any, 0, min(n, 1024))
		var first error
		for range n {
			v, err := c.read()
			var se ServerError
			if errors.As(err, &se) { // an element error (EXEC): keep reading the array
				if first == nil {
					first = err
				}
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, first
	}
	return nil, fmt.Errorf("redis: unknown reply type %q", line[0])
}

func (c *conn) line() (string, error) {
	var b []byte
	for {
		chunk, isPrefix, err := c.r.ReadLine()
		if err != nil {
			return "", err
		}
		b = append(b, chunk...)
		if len(b) > maxLine {
			return "", errors.New("redis: reply line too long")
		}
		if !isPrefix {
			return string(b), nil
		}
	}
}

// Client runs commands on one connection at a time, dialled on demand
// and dropped after any failure. It is safe for concurrent use.
type Client struct {
	opts Options
	mu   sync.Mutex
	c    *conn
}

// New returns a client; it dials at the first command.
func New(o Options) *Client { return &Client{opts: o} }

// Close closes the connection.
func (cl *Client) Close() error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.c != nil {
		cl.c.nc.Close()
		cl.c = nil
	}
	return nil
}

// Do runs one command within ctx's deadline.
func (cl *Client) Do(ctx context.Context, args ...string) (any, error) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.c == nil {
		c, err := dial(ctx, cl.opts)
		if err != nil {
			return nil, err
		}
		cl.c = c
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Second)
	}
	cl.c.nc.SetDeadline(deadline)
	v, err := cl.c.do(args...)
	var se ServerError
	if err != nil && !errors.As(err, &se) { // the stream may be out of step: start afresh
		cl.c.nc.Close()
		cl.c = nil
	}
	return v, err
}

// Eval runs a script (revsync.Backend).
func (cl *Client) Eval(ctx context.Context, script string, keys, args []string) error {
	a := append([]string{"EVAL", script, strconv.Itoa(len(keys))}, keys...)
	_, err := cl.Do(ctx, append(a, args...)...)
	return err
}

// Load returns the members of a sorted set scored above min
// (revsync.Backend).
func (cl *Client) Load(ctx context.Context, key, min string) ([]string, error) {
	v, err := cl.Do(ctx, "ZRANGEBYSCORE", key, min, "+inf")
	if err != nil {
		return nil, err
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, errors.New("redis: ZRANGEBYSCORE did not answer an array")
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, errors.New("redis: ZRANGEBYSCORE member is not a string")
		}
		out = append(out, s)
	}
	return out, nil
}

// pingEvery is how often an idle subscription is pinged; a connection
// that has answered nothing for deadAfter is dead.
const (
	pingEvery = 300 * time.Millisecond
	deadAfter = time.Second
)

// Listen subscribes to channel on its own connection (revsync.Backend).
func (cl *Client) Listen(ctx context.Context, channel string, ready func(), message func(string)) error {
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	c, err := dial(dctx, cl.opts)
	cancel()
	if err != nil {
		return err
	}
	defer c.nc.Close()
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Now()) })
	defer stop()
	if err := c.send("SUBSCRIBE", channel); err != nil {
		return err
	}
	lastHeard := time.Now()
	for {
		// Wait for the first byte of a reply with a short deadline (idle:
		// ping), then read the whole reply with a long one, so that a
		// deadline never falls inside a reply and leaves the stream out
		// of step.
		c.nc.SetReadDeadline(time.Now().Add(pingEvery))
		_, err := c.r.Peek(1)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			if time.Since(lastHeard) > deadAfter {
				return errors.New("redis: subscription connection answers nothing")
			}
			c.nc.SetWriteDeadline(time.Now().Add(deadAfter))
			if err := c.send("PING"); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		c.nc.SetReadDeadline(time.Now().Add(5 * deadAfter))
		v, err := c.read()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return err
		}
		lastHeard = time.Now()
		arr, ok := v.([]any)
		if !ok || len(arr) < 2 {
			return errors.New("redis: unexpected reply on a subscription")
		}
		kind, _ := arr[0].(string)
		switch kind {
		case "subscribe":
			ready()
		case "message":
			if len(arr) == 3 {
				if s, ok := arr[2].(string); ok {
					message(s)
				}
			}
		case "pong":
		default:
			return fmt.Errorf("redis: unexpected %.16q on a subscription", kind)
		}
	}
}
