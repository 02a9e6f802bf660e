package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/savings"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// A public manifest of the corpus estimates end to end as a user runs it: kubernetes/examples' vLLM Deployment and,
// in a file of its own, the HorizontalPodAutoscaler that scales it. TestEstimateReadsWhatUsersBring runs the others
// that issue 29 names; internal/savings/workload's TestCorpus checks what the reader counts in each.
func TestEstimateReadsACorpusManifest(t *testing.T) {
	dir := filepath.Join(repo, "internal", "savings", "workload", "testdata", "corpus", "vllm-hpa")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"estimate", "--dir", repo, "--json",
		"-f", filepath.Join(dir, "vllm-deployment.yaml"), "-f", filepath.Join(dir, "vllm-service.yaml"),
		"-f", filepath.Join(dir, "horizontal-pod-autoscaler.yaml")}, &stdout, &stderr)
	require.Equal(t, 0, code, "expected success, stderr: %s", stderr.String())
	var r savings.Report
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &r), "expected one JSON object")
	// The Deployment's replicas: 1 against the autoscaler's minReplicas: 1; the pod asks for one GPU.
	require.Equal(t, 1, r.Workload.Pods)
	require.Equal(t, int64(1), r.Workload.GPU)
	require.Equal(t, []workload.Ignored{{Kind: "Service", Name: "vllm-service", Why: "places no pod"}}, r.Workload.Ignored)
	var hpaNote bool
	for _, n := range r.Notes {
		hpaNote = hpaNote || strings.Contains(n, "the minReplicas (1) of HorizontalPodAutoscaler default/gemma-server-hpa")
	}
	require.True(t, hpaNote, "expected a note on where the replica count comes from, got %v", r.Notes)
	base, ok := r.Scenario(savings.Baseline)
	require.True(t, ok)
	require.Len(t, base.Nodes, 1)
	require.Equal(t, "g5.xlarge", base.Nodes[0].InstanceType, "expected the GPU pod on the GPU baseline")
}

// Issue 29's inputs estimate end to end as released, each in a second or so: Online Boutique's release manifest
// (a license comment before its first ---), Sock Shop's complete demo, the retail store's helm template output and a
// kubectl get -A -o yaml List; every pod the reader counts is placed in every scenario.
func TestEstimateReadsWhatUsersBring(t *testing.T) {
	testdata := filepath.Join(repo, "internal", "savings", "workload", "testdata")
	for _, tc := range []struct {
		name             string
		file             string
		pods, daemonSets int
	}{
		{"Online Boutique", filepath.Join("corpus", "online-boutique", "kubernetes-manifests.yaml"), 12, 0},
		{"Sock Shop", filepath.Join("corpus", "sock-shop", "complete-demo.yaml"), 14, 0},
		{"helm template", filepath.Join("corpus", "retail-store-helm", "deploy.yaml"), 11, 0},
		{"kubectl get List", "kubectl-get-list.yaml", 6, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"estimate", "--dir", repo, "--json", "-f", filepath.Join(testdata, tc.file)}, &stdout, &stderr)
			require.Equal(t, 0, code, "expected success, stderr: %s", stderr.String())
			var r savings.Report
			require.NoError(t, json.Unmarshal(stdout.Bytes(), &r), "expected one JSON object")
			require.Equal(t, []int{tc.pods, tc.daemonSets}, []int{r.Workload.Pods, r.Workload.DaemonSets}, "pods, DaemonSets")
			for _, name := range []string{savings.Baseline, savings.LabDefault, savings.Multiarch} {
				s, ok := r.Scenario(name)
				require.True(t, ok, "expected scenario %s", name)
				placed := 0
				for _, n := range s.Steady().Nodes {
					placed += n.Pods
				}
				require.Equal(t, tc.pods, placed, "expected every pod placed in %s", name)
			}
		})
	}
}
