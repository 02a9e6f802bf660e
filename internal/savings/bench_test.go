package savings

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// benchShapes is a web-shop mix: arm-capable web and API tiers (the API spread over zones), an amd64-only
// legacy service, batch workers and small sidecar-like services.
var benchShapes = []struct {
	name, cpu, memory string
	share             int // pods per 20
	amd64Only, spread bool
}{
	{"web", "250m", "512Mi", 8, false, false},
	{"api", "500m", "1Gi", 5, false, true},
	{"legacy", "1", "3Gi", 2, true, false},
	{"batch", "1500m", "2Gi", 2, false, false},
	{"small", "100m", "256Mi", 3, false, false},
}

func benchWorkload(n int) *workload.Workload {
	w := &workload.Workload{}
	for i := range n {
		s := benchShapes[0]
		for slot, j := i%20, 0; j < len(benchShapes); j++ {
			if slot < benchShapes[j].share {
				s = benchShapes[j]
				break
			}
			slot -= benchShapes[j].share
		}
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", s.name, i), Namespace: "shop", Labels: map[string]string{"app": s.name},
				OwnerReferences: []metav1.OwnerReference{workload.ControllerRef("Deployment", s.name)}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: s.name, Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(s.cpu), corev1.ResourceMemory: resource.MustParse(s.memory)},
			}}}},
		}
		if s.amd64Only {
			p.Spec.NodeSelector = map[string]string{corev1.LabelArchStable: "amd64"}
		}
		if s.spread {
			p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
				MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule,
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": s.name}},
			}}
		}
		w.Pods = append(w.Pods, p)
	}
	w.DaemonSetPods = benchDaemonSetPods()
	return w
}

// benchDaemonSetPods is one log agent on every node.
func benchDaemonSetPods() []*corev1.Pod {
	return []*corev1.Pod{{
		ObjectMeta: metav1.ObjectMeta{Name: "log-agent", Namespace: "observability"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "agent", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
		}}}},
	}}
}

// Shape of distinctWorkload's Deployments, as issue 30 describes a real cluster: replica counts lognormal around a
// median of distinctMedianReplicas (mean about 10), requests from 50m to 3 vCPU (log-uniform) with 1-8 GiB per vCPU,
// a quarter of the Deployments pinned to amd64 and a fifth spread over zones.
const (
	distinctMedianReplicas = 6
	distinctSigma          = 1.0
	distinctMinMilliCPU    = 50
	distinctMaxMilliCPU    = 3000
	distinctAMD64Share     = 0.25
	distinctSpreadShare    = 0.2
	distinctNamespaces     = 20
)

// distinctWorkload generates n pods of many distinct Deployments with few replicas each, the same for a seed: what
// a real cluster runs, where benchWorkload's few large Deployments are what shards pack best. Deployments are added
// until the pods reach n; the last one is cut to n. One DaemonSet runs on every node.
func distinctWorkload(seed uint64, n int) *workload.Workload {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	w := &workload.Workload{}
	for d := 0; len(w.Pods) < n; d++ {
		replicas := max(1, int(math.Round(distinctMedianReplicas*math.Exp(distinctSigma*r.NormFloat64()))))
		replicas = min(replicas, n-len(w.Pods))
		// Log-uniform, so that small services are as common as they are in clusters, rounded to 10m.
		milli := int64(math.Round(distinctMinMilliCPU*math.Pow(distinctMaxMilliCPU/distinctMinMilliCPU, r.Float64())/10) * 10)
		mib := milli * int64(1024+r.IntN(7*1024+1)) / 1000
		name := fmt.Sprintf("svc-%04d", d)
		labels := map[string]string{"app": name}
		spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{
				corev1.ResourceCPU:    *resource.NewMilliQuantity(milli, resource.DecimalSI),
				corev1.ResourceMemory: *resource.NewQuantity(mib<<20, resource.BinarySI),
			},
		}}}}
		if r.Float64() < distinctAMD64Share {
			spec.NodeSelector = map[string]string{corev1.LabelArchStable: "amd64"}
		}
		if r.Float64() < distinctSpreadShare {
			spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
				MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule,
				LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
			}}
		}
		namespace := fmt.Sprintf("team-%02d", d%distinctNamespaces)
		for i := range replicas {
			w.Pods = append(w.Pods, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", name, i), Namespace: namespace, Labels: maps.Clone(labels),
					OwnerReferences: []metav1.OwnerReference{workload.ControllerRef("Deployment", name)}},
				Spec: *spec.DeepCopy(),
			})
		}
	}
	w.DaemonSetPods = benchDaemonSetPods()
	return w
}

// BenchmarkEstimate runs the whole estimate — five scenarios, the four Karpenter ones consolidated to their steady
// state, the limits check, the advice passes and the lower bound — on the full snapshot with the stack's default
// pools, with the GC settings cmd/savings uses, on benchWorkload's few large Deployments. Run it with
// `go test -run '^$' -bench 'Estimate$' -benchtime 1x ./internal/savings`, or `make bench`, which runs each size in a
// process of its own so that its peak-RSS-MB is its own.
func BenchmarkEstimate(b *testing.B) {
	benchmarkEstimate(b, []int{100, 1000, 10000}, benchWorkload)
}

// BenchmarkEstimateDistinct runs the same estimate on distinctWorkload's many Deployments of few replicas each, the
// shape of a real cluster (issue 30), at sizes where one unsharded pass is still affordable (2,000 and 3,000 pods,
// which TestShardedWithinTwoPercentOfUnshardedDistinct compares) and at 10,000 pods.
func BenchmarkEstimateDistinct(b *testing.B) {
	benchmarkEstimate(b, []int{1000, 2000, 3000, 10000}, func(n int) *workload.Workload { return distinctWorkload(1, n) })
}

// benchmarkEstimate runs Estimate on gen(n) for each size, and reports the nodes it places and the process's peak
// resident set so far (sizes run smallest first, so a size's figure is its own unless an earlier size in the same
// process peaked higher).
func benchmarkEstimate(b *testing.B, sizes []int, gen func(n int) *workload.Workload) {
	cat, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	// As cmd/savings runs it.
	TuneGC()
	for _, n := range sizes {
		b.Run(fmt.Sprintf("pods=%d", n), func(b *testing.B) {
			w := gen(n)
			opts := options(b)
			b.ReportAllocs()
			var r *Report
			for b.Loop() {
				r, err = Estimate(context.Background(), cat, w, opts)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(mustScenarioB(b, r, Multiarch).Nodes)), "multiarch-nodes")
			b.ReportMetric(float64(len(mustScenarioB(b, r, Baseline).Nodes)), "baseline-nodes")
			b.ReportMetric(float64(len(mustScenarioB(b, r, Multiarch).Steady().Nodes)), "multiarch-steady-nodes")
			specialized := 0
			if r.Advice.Bound != nil {
				for _, s := range r.Advice.Bound.Specialized {
					specialized += s.Nodes
				}
			}
			// Multiarch's steady-state nodes of accelerated or storage-dense types that run pods requesting no
			// accelerator (see SpecializedNodes).
			b.ReportMetric(float64(specialized), "specialized-nodes")
			if peak, ok := peakRSS(); ok {
				b.ReportMetric(peak/(1<<20), "peak-RSS-MB")
			}
		})
	}
}

func mustScenarioB(b *testing.B, r *Report, name string) Scenario {
	b.Helper()
	s, ok := r.Scenario(name)
	if !ok {
		b.Fatalf("expected scenario %s", name)
	}
	return s
}
