package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/savings"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/images"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// A public manifest of the corpus estimates end to end as a user runs it: kubernetes/examples' vLLM Deployment and,
// in a file of its own, the HorizontalPodAutoscaler that scales it. TestEstimateReadsWhatUsersBring runs the others
// that issue 29 names; internal/savings/workload's TestCorpus checks what the reader counts in each. The images are
// assumed multi-arch in these runs: no test reads a registry.
func TestEstimateReadsACorpusManifest(t *testing.T) {
	dir := filepath.Join(repo, "internal", "savings", "workload", "testdata", "corpus", "vllm-hpa")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"estimate", "--dir", repo, "--json", "--images", "assume",
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

// Sock Shop as released, with the images file beside it that marks its weaveworksdemos images (built in 2017-2018)
// linux/amd64 only: none of the pods of an amd64-only image lands on an arm64 node, in any scenario, first scale-up
// or steady state; with every image assumed multi-arch, as before the images were read, some did.
func TestSockShopAMD64OnlyImagesStayOffArm64(t *testing.T) {
	dir := filepath.Join(repo, "internal", "savings", "workload", "testdata", "corpus", "sock-shop")
	manifest, imagesFile := filepath.Join(dir, "complete-demo.yaml"), filepath.Join(dir, "images.json")
	w, err := workload.ReadFiles(manifest)
	require.NoError(t, err)
	refs := images.Refs(w.Pods, w.DaemonSetPods)
	platforms, err := images.FromFile(imagesFile, refs)
	require.NoError(t, err)
	amd64Only := map[string]bool{}
	for _, img := range platforms.Images {
		if img.Status == images.AMD64Only {
			amd64Only[img.Reference] = true
		}
	}
	pinned := map[workload.Owner]bool{}
	for _, p := range w.Pods {
		for _, c := range append(slices.Clone(p.Spec.InitContainers), p.Spec.Containers...) {
			if amd64Only[c.Image] {
				pinned[workload.OwnerOf(p)] = true
			}
		}
	}
	require.NotEmpty(t, pinned, "expected workloads with amd64-only images")

	onArm64 := func(imagesMode string) []string {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"estimate", "--dir", repo, "--json", "-f", manifest, "--images", imagesMode}, &stdout, &stderr)
		require.Equal(t, 0, code, "expected success, stderr: %s", stderr.String())
		var r savings.Report
		require.NoError(t, json.Unmarshal(stdout.Bytes(), &r), "expected one JSON object")
		var found []string
		for _, s := range r.Scenarios {
			for _, n := range append(slices.Clone(s.Nodes), s.Steady().Nodes...) {
				for _, wp := range n.Workloads {
					if n.Arch == "arm64" && pinned[workload.Owner{Kind: wp.Kind, Namespace: wp.Namespace, Name: wp.Name}] {
						found = append(found, s.Name+": "+wp.Kind+" "+wp.Namespace+"/"+wp.Name+" on "+n.InstanceType)
					}
				}
			}
		}
		return found
	}
	require.Empty(t, onArm64(imagesFile), "expected no pod of an amd64-only image on an arm64 node")
	require.NotEmpty(t, onArm64("assume"), "expected the assumed run to put some of these pods on arm64, as it did before images were read")
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
			code := run(context.Background(), []string{"estimate", "--dir", repo, "--json", "--images", "assume", "-f", filepath.Join(testdata, tc.file)}, &stdout, &stderr)
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
