package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

// api is the example's handlers and their in-memory orders.
type api struct {
	auth *httpauth.Auth[*cognitojwt.Claims]

	mu     sync.Mutex
	orders []order
}

type order struct {
	ID       int       `json:"id"`
	Item     string    `json:"item"`
	Quantity int       `json:"quantity"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

func newAPI(auth *httpauth.Auth[*cognitojwt.Claims]) *api {
	return &api{auth: auth}
}

// routes wires each route to what it requires. The requirements sit next
// to the patterns, so that what protects a route is read where it is
// declared.
func (a *api) routes() http.Handler {
	var (
		signedIn = a.auth.Require()
		reader   = a.auth.Require(httpauth.Scope(ScopeRead))
		writer   = a.auth.Require(httpauth.Scope(ScopeWrite))
		admin    = a.auth.Require(httpauth.Group(GroupAdmin))
	)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /api/public", a.public)
	mux.Handle("GET /api/me", signedIn(http.HandlerFunc(a.me)))
	mux.Handle("GET /api/orders", reader(http.HandlerFunc(a.listOrders)))
	mux.Handle("POST /api/orders", writer(http.HandlerFunc(a.createOrder)))
	mux.Handle("GET /api/admin/stats", admin(http.HandlerFunc(a.stats)))
	return mux
}

func (a *api) public(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"message": "Hello from a public endpoint: no token needed."})
}

func (a *api) me(w http.ResponseWriter, r *http.Request) {
	c, _ := a.auth.Claims(r)
	groups, scopes := c.Groups, c.Scopes
	if groups == nil {
		groups = []string{}
	}
	if scopes == nil {
		scopes = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"sub":       c.Subject,
		"username":  c.Username,
		"client_id": c.ClientID,
		"machine":   c.IsMachine(),
		"scopes":    scopes,
		"groups":    groups,
		"expires":   c.ExpiresAt.UTC().Format(time.RFC3339),
	})
}

func (a *api) listOrders(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	list := slices.Clone(a.orders)
	a.mu.Unlock()
	if list == nil {
		list = []order{}
	}
	writeJSON(w, http.StatusOK, list)
}

func (a *api) createOrder(w http.ResponseWriter, r *http.Request) {
	c, _ := a.auth.Claims(r)
	var in struct {
		Item     string `json:"item"`
		Quantity int    `json:"quantity"`
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Item == "" || in.Quantity < 1 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"item": "…", "quantity": 1 or more}`})
		return
	}
	by := c.Username
	if by == "" {
		by = "client " + c.ClientID // a machine-to-machine token names no user
	}
	a.mu.Lock()
	o := order{ID: len(a.orders) + 1, Item: in.Item, Quantity: in.Quantity, By: by, At: time.Now().UTC()}
	a.orders = append(a.orders, o)
	a.mu.Unlock()
	writeJSON(w, http.StatusCreated, o)
}

func (a *api) stats(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	n := len(a.orders)
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]int{"orders": n})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
