package lambdaauth

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// newRequest builds the *http.Request that httpauth's middleware reads:
// method, path, query, headers. The body is never read by the middleware
// and is left empty; the handler gets the original event.
func newRequest(ctx context.Context, method, path, rawQuery string, header http.Header) *http.Request {
	if method == "" {
		method = http.MethodGet
	}
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	r := &http.Request{
		Method:     method,
		URL:        &url.URL{Path: path, RawQuery: rawQuery},
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     header,
		Body:       http.NoBody,
		RequestURI: path,
	}
	if h := header.Get("Host"); h != "" {
		r.Host = h
	}
	return r.WithContext(ctx)
}

// headers merges an event's single- and multi-value header maps. When the
// event has multi-value headers (API Gateway v1 always does, ALB when the
// target group enables them) they are the complete set, and the
// single-value map, which holds only the last of each, is ignored: a
// field sent twice stays twice, and httpauth refuses it.
func headers(single map[string]string, multi map[string][]string) http.Header {
	h := make(http.Header, len(single)+len(multi))
	if len(multi) > 0 {
		for k, vs := range multi {
			for _, v := range vs {
				h.Add(k, v)
			}
		}
		return h
	}
	for k, v := range single {
		h.Add(k, v)
	}
	return h
}

// v2Headers reads a payload 2.0 event's headers (API Gateway joined
// repeated fields with commas, which httpauth refuses in a bearer
// credential) and its cookies, which payload 2.0 moves out of the
// headers into their own list.
func v2Headers(single map[string]string, cookies []string) http.Header {
	h := headers(single, nil)
	if len(cookies) > 0 {
		h["Cookie"] = []string{strings.Join(cookies, "; ")}
	}
	return h
}

// encodeQuery encodes decoded query parameters (API Gateway v1 decodes
// them) in a fixed order.
func encodeQuery(single map[string]string, multi map[string][]string) string {
	v := url.Values{}
	if len(multi) > 0 {
		for k, vs := range multi {
			v[k] = vs
		}
	} else {
		for k, s := range single {
			v.Set(k, s)
		}
	}
	return v.Encode()
}

// rawQuery joins query parameters ALB passes as they were received,
// still percent-encoded, without encoding them again.
func rawQuery(single map[string]string, multi map[string][]string) string {
	var b strings.Builder
	add := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	if len(multi) > 0 {
		for _, k := range sortedKeys(multi) {
			for _, v := range multi[k] {
				add(k, v)
			}
		}
	} else {
		for _, k := range sortedKeys(single) {
			add(k, single[k])
		}
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// recorder is the http.ResponseWriter httpauth writes a refusal to.
type recorder struct {
	status int
	header http.Header
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// single flattens response headers for event shapes with one value per
// name (API Gateway v2, Function URLs, ALB without multi-value headers).
func single(h http.Header) map[string]string {
	m := make(map[string]string, len(h))
	for k, vs := range h {
		m[k] = strings.Join(vs, ", ")
	}
	return m
}
