package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
)

// TestMain keeps every test of the command off the network: HTTP and HTTPS go through a proxy on loopback that
// refuses and records each request, so that a test that forgets --images (whose default, auto, reads registries)
// fails here instead of reaching a public registry, or printing other figures on a machine that can. Requests to
// loopback, such as the in-process registry's, are never proxied.
func TestMain(m *testing.M) {
	var mu sync.Mutex
	var reached []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reached = append(reached, r.Method+" "+r.Host)
		mu.Unlock()
		http.Error(w, "tests of cmd/savings make no request outside this machine", http.StatusForbidden)
	}))
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		if err := os.Setenv(k, proxy.URL); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	for _, k := range []string{"NO_PROXY", "no_proxy"} {
		if err := os.Unsetenv(k); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	code := m.Run()
	proxy.Close()
	if len(reached) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: tests of cmd/savings asked for hosts outside this machine: %v\n", reached)
		code = 1
	}
	os.Exit(code)
}
