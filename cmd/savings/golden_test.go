package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// update rewrites the example outputs: go test ./cmd/savings -run TestGoldenOutputs -update
var update = flag.Bool("update", false, "rewrite examples/*.out and examples/*.svg from the estimate's current output")

// goldenDate is the day the example outputs are made on, because a report says how many days old its prices are.
var goldenDate = time.Date(2026, time.December, 1, 12, 0, 0, 0, time.UTC)

// The docs show these files, so they must be what the tool prints now, run as a user runs it from the repository
// root: the dev stack and the embedded price snapshot. Each .out starts with the commands of a shell session.
func TestGoldenOutputs(t *testing.T) {
	// The images come from a committed images file, or are assumed: no golden output reads a registry, so every
	// machine prints the same figures.
	// Two public manifests of the corpus run as released: Sock Shop with the images file that marks its images, Online
	// Boutique with its images assumed multi-arch, which the report then says.
	corpus := filepath.Join("internal", "savings", "workload", "testdata", "corpus")
	for name, in := range map[string]struct{ manifest, images string }{
		"retail-store":    {filepath.Join("examples", "retail-store.yaml"), filepath.Join("examples", "retail-store.images.json")},
		"mixed-workload":  {filepath.Join("examples", "mixed-workload.yaml"), "assume"},
		"sock-shop":       {filepath.Join(corpus, "sock-shop", "complete-demo.yaml"), filepath.Join(corpus, "sock-shop", "images.json")},
		"online-boutique": {filepath.Join(corpus, "online-boutique", "kubernetes-manifests.yaml"), "assume"},
	} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join("examples", name+".out")
			svg := filepath.Join("examples", name+".svg")
			args := []string{"estimate", "-f", in.manifest, "--images", in.images, "--chart", svg}
			command := "go run ./cmd/savings " + strings.Join(args, " ")
			// The chart goes aside first, so that a run without -update leaves the golden one alone.
			chart := filepath.Join(t.TempDir(), name+".svg")
			args[len(args)-1] = chart
			t.Chdir(repo)
			defer func(was func() time.Time) { now = was }(now)
			now = func() time.Time { return goldenDate }

			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, &stdout, &stderr)
			require.Equal(t, 0, code, "expected success, stderr: %s", stderr.String())
			session := "$ date -u +%F\n" + goldenDate.Format(time.DateOnly) + "\n$ " + command + "\n" + stdout.String()
			drawn, err := os.ReadFile(chart)
			require.NoError(t, err, "expected the chart file")

			for _, f := range []struct {
				path string
				got  string
			}{{out, session}, {svg, string(drawn)}} {
				if *update {
					require.NoError(t, os.WriteFile(f.path, []byte(f.got), 0o644))
				}
				want, err := os.ReadFile(f.path)
				require.NoError(t, err, "expected the golden file %s; run go test ./cmd/savings -run TestGoldenOutputs -update", f.path)
				if d := firstDifference(string(want), f.got); d != "" {
					t.Errorf("%s is not what %q writes now: %s\nif the change is intended, run go test ./cmd/savings -run TestGoldenOutputs -update and commit the files", f.path, command, d)
				}
			}
		})
	}
}

// firstDifference names the first line where got differs from want, or returns "" when they are equal.
func firstDifference(want, got string) string {
	if want == got {
		return ""
	}
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range min(len(w), len(g)) {
		if w[i] != g[i] {
			return fmt.Sprintf("line %d\n  file: %s\n  now:  %s", i+1, w[i], g[i])
		}
	}
	return fmt.Sprintf("the file has %d lines, the output %d", len(w), len(g))
}
