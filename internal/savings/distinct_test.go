package savings

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// TestDistinctWorkloadShape checks that distinctWorkload builds what issue 30 describes: exactly n pods of many
// distinct Deployments, most with fewer replicas than a 10,000-pod workload has shards of DefaultMaxShardPods,
// requests within 50m-3 vCPU and 1-8 GiB per vCPU, about a quarter pinned to amd64 and a fifth spread over zones,
// one DaemonSet, and the same pods for the same seed.
func TestDistinctWorkloadShape(t *testing.T) {
	const n = 10000
	w := distinctWorkload(1, n)
	require.Len(t, w.Pods, n)
	require.Len(t, w.DaemonSetPods, 1)

	replicas := map[workload.Owner]int{}
	groups := map[string]bool{}
	specs := map[string]bool{}
	amd64, spread := map[workload.Owner]bool{}, map[workload.Owner]bool{}
	for _, p := range w.Pods {
		o := workload.OwnerOf(p)
		require.Equal(t, "Deployment", o.Kind, "pod %s/%s", p.Namespace, p.Name)
		replicas[o]++
		groups[groupKey(p)] = true
		req := p.Spec.Containers[0].Resources.Requests
		cpu, mem := req.Cpu().MilliValue(), req.Memory().Value()
		require.True(t, cpu >= 50 && cpu <= 3000, "pod %s: expected 50m-3000m of CPU, got %dm", p.Name, cpu)
		gibPerCPU := float64(mem) / float64(1<<30) / (float64(cpu) / 1000)
		require.True(t, gibPerCPU >= 1-1e-3 && gibPerCPU <= 8+1e-3, "pod %s: expected 1-8 GiB per vCPU, got %.3f", p.Name, gibPerCPU)
		specs[req.Cpu().String()+"/"+req.Memory().String()] = true
		if p.Spec.NodeSelector[corev1.LabelArchStable] == "amd64" {
			amd64[o] = true
		}
		if len(p.Spec.TopologySpreadConstraints) > 0 {
			spread[o] = true
		}
	}
	deployments := len(replicas)
	t.Logf("%d pods of %d Deployments, %d distinct requests, %d pinned to amd64, %d spread", n, deployments, len(specs), len(amd64), len(spread))
	require.Len(t, groups, deployments, "expected every Deployment to be one shard group of its own")
	require.InDelta(t, n/10, deployments, float64(n/10)*0.2, "expected about 10 replicas per Deployment on average")
	require.Greater(t, len(specs), deployments*9/10, "expected Deployments of distinct requests")

	k := (n + DefaultMaxShardPods - 1) / DefaultMaxShardPods
	few, one := 0, 0
	for _, r := range replicas {
		if r < k {
			few++
		}
		if r == 1 {
			one++
		}
	}
	require.Greater(t, few, deployments/2, "expected most Deployments to have fewer replicas than the %d shards", k)
	require.Positive(t, one, "expected some Deployments of a single replica")
	require.InDelta(t, 0.25, float64(len(amd64))/float64(deployments), 0.07, "expected a quarter of the Deployments pinned to amd64")
	require.InDelta(t, 0.2, float64(len(spread))/float64(deployments), 0.07, "expected a fifth of the Deployments spread over zones")

	require.Equal(t, distinctWorkload(1, 1000), distinctWorkload(1, 1000), "expected the same workload for the same seed")
	require.NotEqual(t, distinctWorkload(1, 1000), distinctWorkload(2, 1000), "expected another workload for another seed")
}
