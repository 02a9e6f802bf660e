package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/savingsdiff"
)

// diffWorkload is small enough to place on one node of any pool: two replicas of a multi-arch image.
const diffWorkload = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: public.ecr.aws/nginx/nginx:1.27
          resources: {requests: {cpu: 500m, memory: 1Gi}}
`

// stackCopy is a project directory with the repository's Pulumi.yaml, the dev stack's file plus extra lines, and
// the test workload as its only savingsWorkloads entry.
func stackCopy(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	project, err := os.ReadFile(filepath.Join(repo, "Pulumi.yaml"))
	require.NoError(t, err)
	dev, err := os.ReadFile(filepath.Join(repo, "Pulumi.dev.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), project, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.dev.yaml"), append(dev, []byte(extra+"\n  karpenter-savings:savingsWorkloads: [web.yaml]\n")...), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "web.yaml"), []byte(diffWorkload), 0o600))
	return dir
}

// pools is the dev stack's nodePools written out, with the graviton pool's line replaced.
func pools(graviton string) string {
	return `
  karpenter-savings:nodePools:
    default: {enabled: true, weight: 10, capacityTypes: [spot], cpu: "16", memory: 32Gi}
    graviton: ` + graviton + `
    gpu: {enabled: true, weight: 100, capacityTypes: [on-demand, spot], cpu: "16", memory: 64Gi, gpu: "2"}`
}

func runDiff(t *testing.T, args ...string) (int, *savingsdiff.Diff, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"diff", "--json", "--images", "assume"}, args...), &stdout, &stderr)
	if code != 0 && code != 3 {
		return code, nil, stderr.String()
	}
	var d savingsdiff.Diff
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &d), "one JSON object; stderr: %s", stderr.String())
	return code, &d, stderr.String()
}

// byHandMonthly prices a scenario's nodes from the catalog directly, as a person would from the price list.
func byHandMonthly(t *testing.T, s savings.Scenario) float64 {
	t.Helper()
	cat, err := catalog.Load()
	require.NoError(t, err)
	total := 0.0
	for _, n := range s.Nodes {
		p, ok := cat.Price("us-east-1", n.InstanceType)
		require.True(t, ok, "%s is priced", n.InstanceType)
		if n.CapacityType == "spot" {
			total += p.Spot
		} else {
			total += p.OnDemand
		}
	}
	return total * savings.HoursPerMonth
}

func multiarch(t *testing.T, r *savings.Report) savings.Scenario {
	t.Helper()
	s, ok := r.Scenario(savings.Multiarch)
	require.True(t, ok)
	return s
}

func TestDiffOfIdenticalConfigsIsZero(t *testing.T) {
	dir := stackCopy(t, "")
	code, d, stderr := runDiff(t, "--base", dir, "--dir", dir)
	require.Equal(t, 0, code, stderr)
	require.Zero(t, d.Change.MonthlyUSD)
	require.Zero(t, d.Change.Percent)
	require.Empty(t, d.Moved)
	require.Empty(t, d.ConfigChanges)
	require.Equal(t, []string{"web.yaml"}, d.Workloads, "the head stack's savingsWorkloads are priced")
}

func TestDiffPricesWhatAPoolChangeDoes(t *testing.T) {
	base := stackCopy(t, "")
	for _, tc := range []struct {
		name, graviton   string
		wantArch, wantCT string
		wantPool         string
		wantKey          string
	}{
		{"graviton disabled", `{enabled: false}`, "amd64", "spot", "default", "karpenter-savings:nodePools.graviton.enabled"},
		{"graviton on-demand only", `{enabled: true, weight: 50, capacityTypes: [on-demand], cpu: "32", memory: 64Gi}`,
			"arm64", "on-demand", "graviton", "karpenter-savings:nodePools.graviton.capacityTypes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head := stackCopy(t, pools(tc.graviton))
			code, d, stderr := runDiff(t, "--base", base, "--dir", head)
			require.Equal(t, 0, code, stderr)

			// Before: both replicas on one Graviton spot node; after: where the changed pools send them.
			b, h := multiarch(t, d.Base), multiarch(t, d.Head)
			require.Len(t, b.Nodes, 1)
			require.Equal(t, "arm64", b.Nodes[0].Arch)
			require.Equal(t, "spot", b.Nodes[0].CapacityType)
			require.Len(t, h.Nodes, 1)
			require.Equal(t, tc.wantArch, h.Nodes[0].Arch)
			require.Equal(t, tc.wantCT, h.Nodes[0].CapacityType)

			want := byHandMonthly(t, h) - byHandMonthly(t, b)
			require.InDelta(t, want, d.Change.MonthlyUSD, 0.01, "the change is the nodes' catalog prices times 730 h")
			require.InDelta(t, 100*want/byHandMonthly(t, b), d.Change.Percent, 0.01)
			require.Positive(t, d.Change.MonthlyUSD, "both changes cost more")

			require.Equal(t, []savingsdiff.Move{{Kind: "Deployment", Namespace: "shop", Name: "web",
				Base: []savingsdiff.Placement{{NodePool: "graviton", Arch: "arm64", CapacityType: "spot", Pods: 2}},
				Head: []savingsdiff.Placement{{NodePool: tc.wantPool, Arch: tc.wantArch, CapacityType: tc.wantCT, Pods: 2}},
			}}, d.Moved)
			var keys []string
			for _, c := range d.ConfigChanges {
				keys = append(keys, c.Key)
			}
			require.Contains(t, keys, tc.wantKey)
		})
	}
}

func TestDiffFailAbove(t *testing.T) {
	base := stackCopy(t, "")
	head := stackCopy(t, pools(`{enabled: false}`))
	code, d, stderr := runDiff(t, "--base", base, "--dir", head, "--fail-above", "10")
	require.Greater(t, d.Change.Percent, 10.0)
	require.Equal(t, 3, code, "an increase over the threshold exits 3")
	require.Contains(t, stderr, "more than --fail-above 10%")

	code, _, stderr = runDiff(t, "--base", base, "--dir", head, "--fail-above", "1000")
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runDiff(t, "--base", head, "--dir", base, "--fail-above", "0")
	require.Equal(t, 0, code, "a saving never fails: %s", stderr)
}

func TestDiffNamesTheBadPath(t *testing.T) {
	good := stackCopy(t, "")
	missing := filepath.Join(t.TempDir(), "nowhere")
	code, _, stderr := runDiff(t, "--base", missing, "--dir", good)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "base "+missing+": no Pulumi.yaml there")

	noStack := t.TempDir()
	project, err := os.ReadFile(filepath.Join(repo, "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(noStack, "Pulumi.yaml"), project, 0o600))
	code, _, stderr = runDiff(t, "--base", noStack, "--dir", good)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, filepath.Join(noStack, "Pulumi.dev.yaml"))

	code, _, stderr = runDiff(t, "--dir", good)
	require.Equal(t, 2, code, "--base is required")
	require.Contains(t, stderr, "--base BASEDIR is required")
}

func TestDiffMarkdownIsOneStickyComment(t *testing.T) {
	base := stackCopy(t, "")
	head := stackCopy(t, pools(`{enabled: false}`))
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"diff", "--markdown", "--images", "assume", "--base", base, "--dir", head}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	md := stdout.String()
	require.True(t, len(md) < savingsdiff.MaxCommentBytes)
	require.Regexp(t, `^<!-- karpenter-savings: savings diff -->\n### Savings estimate: multiarch scenario, steady state: \$[0-9.]+/month → \$[0-9.]+/month \(\+\$[0-9.]+, \+[0-9.]+%\)\n`, md)
	require.Contains(t, md, "requests-based estimate, not billing; prices: ")
	require.Contains(t, md, "<details><summary>Workloads that moved (1)</summary>")
	require.Contains(t, md, "| Deployment `shop/web` | 2 on graviton/arm64/spot | 2 on default/amd64/spot |")
}
