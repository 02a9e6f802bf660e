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
// in a file of its own, the HorizontalPodAutoscaler that scales it. The other corpus entries are read by
// internal/savings/workload's TestCorpus; Online Boutique and Sock Shop take a minute or more each here.
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
