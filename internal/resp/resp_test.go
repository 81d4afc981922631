package resp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/internal/redistest"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Options
		bad  bool
	}{
		{in: "redis://127.0.0.1:6379/0", want: Options{Addr: "127.0.0.1:6379"}},
		{in: "redis://localhost", want: Options{Addr: "localhost:6379"}},
		{in: "redis://[::1]:7000/3", want: Options{Addr: "[::1]:7000", DB: 3}},
		{in: "rediss://u:p@cache.internal:6380/1", want: Options{Addr: "cache.internal:6380", TLS: true, Username: "u", Password: "p", DB: 1}},
		{in: "redis://secret@h:1/", want: Options{Addr: "h:1", Password: "secret"}},
		{in: "http://h:1/0", bad: true},
		{in: "redis:///0", bad: true},
		{in: "redis://h:1/x", bad: true},
		{in: "redis://h:1/01", bad: true},
		{in: "redis://h:1/0/1", bad: true},
		{in: "redis://h:0", bad: true},
		{in: "redis://h:99999", bad: true},
		{in: "redis://h:1/0?db=2", bad: true},
		{in: "redis://h:1/0#x", bad: true},
		{in: "redis:h", bad: true},
		{in: "", bad: true},
	} {
		got, err := ParseURL(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseURL(%q) = %+v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, %v, want %+v", tc.in, got, err, tc.want)
		}
	}
}

func readAll(b []byte) (any, error) {
	c := &conn{r: bufio.NewReader(bytes.NewReader(b))}
	return c.read()
}

func TestRead(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // fmt of the value, or "error"
	}{
		{"+OK\r\n", "OK"},
		{":42\r\n", "42"},
		{"$3\r\nabc\r\n", "abc"},
		{"$-1\r\n", "<nil>"},
		{"*2\r\n$1\r\na\r\n:1\r\n", "[a 1]"},
		{"-ERR wrong\r\n", "error"},
		{"$3\r\nabcd\r\n", "error"},
		{"$2000000\r\n", "error"},
		{"*-2\r\n", "error"},
		{"?x\r\n", "error"},
		{"$3\r\nab", "error"},
	} {
		v, err := readAll([]byte(tc.in))
		got := "error"
		if err == nil {
			got = fmt.Sprint(v)
		}
		if got != tc.want {
			t.Errorf("read(%q) = %q (%v), want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, s := range []string{"+OK\r\n", "*2\r\n$1\r\na\r\n:1\r\n", "*1\r\n-ERR x\r\n", "$-1\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		readAll(b) // never panics, never allocates beyond the limits
	})
}

func FuzzParseURL(f *testing.F) {
	f.Add("redis://127.0.0.1:6379/0")
	f.Add("rediss://u:p@h:1/2")
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseURL(s)
		if err == nil && (o.Addr == "" || o.DB < 0) {
			t.Fatalf("ParseURL(%q) = %+v", s, o)
		}
	})
}

func TestClientAgainstRedis(t *testing.T) {
	srv := redistest.Start(t)
	o, err := ParseURL("redis://" + srv.Addr + "/2")
	if err != nil {
		t.Fatal(err)
	}
	cl := New(o)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cl.Eval(ctx, "redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2]) return 1", []string{"z"}, []string{"5", "m"}); err != nil {
		t.Fatal(err)
	}
	got, err := cl.Load(ctx, "z", "(1")
	if err != nil || len(got) != 1 || got[0] != "m" {
		t.Fatalf("Load = %v, %v", got, err)
	}
	if got, err := cl.Load(ctx, "z", "(5"); err != nil || len(got) != 0 {
		t.Fatalf("Load above the score = %v, %v", got, err)
	}
	var se ServerError
	if _, err := cl.Do(ctx, "NOSUCHCOMMAND"); !errors.As(err, &se) {
		t.Fatalf("unknown command: %v", err)
	}
	if _, err := cl.Do(ctx, "PING"); err != nil { // the connection survives a server error
		t.Fatal(err)
	}

	got2 := make(chan string, 1)
	lctx, lcancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- cl.Listen(lctx, "ch", func() {
			if _, err := New(o).Do(ctx, "PUBLISH", "ch", "hello"); err != nil {
				got2 <- "publish: " + err.Error()
			}
		}, func(m string) { got2 <- m })
	}()
	select {
	case m := <-got2:
		if m != "hello" {
			t.Fatalf("message %q", m)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no message")
	}
	lcancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Listen after cancel = %v", err)
	}
	// Redis gone: Listen fails, it does not hang.
	srv.Stop()
	start := time.Now()
	if err := cl.Listen(ctx, "ch", func() {}, func(string) {}); err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("Listen with Redis down = %v after %v", err, time.Since(start))
	}
}

// A server that confirms the subscription and then goes silent (a
// network partition without a reset) is given up within about a second.
func TestListenSilentServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		bufio.NewReader(c).ReadString('\n')
		c.Write([]byte("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"))
		time.Sleep(5 * time.Second) // reads nothing more, answers nothing
	}()
	o, _ := ParseURL("redis://" + l.Addr().String() + "/0")
	ready := false
	start := time.Now()
	err = New(o).Listen(context.Background(), "ch", func() { ready = true }, func(string) {})
	if !ready || err == nil || !strings.Contains(err.Error(), "answers nothing") {
		t.Fatalf("ready %v, Listen = %v", ready, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("noticed after %v", d)
	}
}
