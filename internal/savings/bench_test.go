package savings

import (
	"context"
	"fmt"
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
	w.DaemonSetPods = []*corev1.Pod{{
		ObjectMeta: metav1.ObjectMeta{Name: "log-agent", Namespace: "observability"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "agent", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
		}}}},
	}}
	return w
}

// BenchmarkEstimate runs the whole estimate — five scenarios, the four Karpenter ones consolidated to their steady
// state, the limits check, the advice passes and the lower bound — on the full snapshot with the stack's default
// pools, with the GC settings cmd/savings uses. Run it with `go test -run '^$' -bench Estimate -benchtime 1x ./internal/savings`.
func BenchmarkEstimate(b *testing.B) {
	cat, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	// As cmd/savings runs it.
	TuneGC()
	for _, n := range []int{100, 1000, 10000} {
		w := benchWorkload(n)
		opts := options(b)
		b.Run(fmt.Sprintf("pods=%d", n), func(b *testing.B) {
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
