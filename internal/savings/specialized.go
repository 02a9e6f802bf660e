package savings

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// Instance categories, as Karpenter's AWS provider labels them (karpenter.k8s.aws/instance-category: the letters of
// the family before its generation), that are built for something other than general compute: accelerators, and
// dense local storage.
var (
	acceleratedCategories  = []string{"dl", "f", "g", "inf", "p", "trn", "vt"}
	storageDenseCategories = []string{"d", "h", "i", "im", "is"}
)

// SpecializedNodes are nodes of one accelerated or storage-dense instance type that a pool launched for pods that
// request no accelerator: a pool that allows every instance category lets Karpenter pick such a type whenever its
// offering is the cheapest that fits, and the lower bound, which prices capacity alone, is then far below.
type SpecializedNodes struct {
	NodePool     string  `json:"nodePool"`
	InstanceType string  `json:"instanceType"`
	Kind         string  `json:"kind"` // accelerated or storage-dense
	Nodes        int     `json:"nodes"`
	HourlyUSD    float64 `json:"hourlyUSD"`
}

// instanceCategory is an instance type's category as Karpenter's AWS provider labels it: "g4ad.2xlarge" → "g".
func instanceCategory(instanceType string) string {
	family, _, _ := strings.Cut(instanceType, ".")
	if i := strings.IndexAny(family, "0123456789"); i > 0 {
		return family[:i]
	}
	return family
}

// specializedNodes lists the nodes of accelerated or storage-dense types among nodes whose workloads request no
// accelerator (gpuOwners are the workloads that do), by pool and type, dearest first.
func specializedNodes(nodes []Node, gpuOwners map[workload.Owner]bool) []SpecializedNodes {
	byKey := map[[2]string]*SpecializedNodes{}
	var out []*SpecializedNodes
	for _, n := range nodes {
		category := instanceCategory(n.InstanceType)
		kind := ""
		switch {
		case slices.Contains(acceleratedCategories, category):
			kind = "accelerated"
		case slices.Contains(storageDenseCategories, category):
			kind = "storage-dense"
		default:
			continue
		}
		if slices.ContainsFunc(n.Workloads, func(w WorkloadPods) bool {
			return gpuOwners[workload.Owner{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name}]
		}) {
			continue
		}
		key := [2]string{n.NodePool, n.InstanceType}
		s, ok := byKey[key]
		if !ok {
			s = &SpecializedNodes{NodePool: n.NodePool, InstanceType: n.InstanceType, Kind: kind}
			byKey[key] = s
			out = append(out, s)
		}
		s.Nodes++
		s.HourlyUSD = round6(s.HourlyUSD + n.HourlyUSD)
	}
	slices.SortFunc(out, func(a, b *SpecializedNodes) int {
		return cmp.Or(cmp.Compare(b.HourlyUSD, a.HourlyUSD), cmp.Compare(a.NodePool, b.NodePool), cmp.Compare(a.InstanceType, b.InstanceType))
	})
	list := make([]SpecializedNodes, len(out))
	for i, s := range out {
		list[i] = *s
	}
	return list
}

// gpuOwners are the workloads of pods that request a GPU.
func gpuOwners(pods []*corev1.Pod) map[workload.Owner]bool {
	out := map[workload.Owner]bool{}
	for _, p := range pods {
		if requestsGPU(p) {
			out[workload.OwnerOf(p)] = true
		}
	}
	return out
}

// specializedNote says what share of a steady state's cost is on specialized types, and how a pool keeps them out.
func specializedNote(scenario string, list []SpecializedNodes, hourly float64) string {
	if len(list) == 0 || hourly <= 0 {
		return ""
	}
	var parts []string
	nodes, cost := 0, 0.0
	for _, s := range list {
		nodes += s.Nodes
		cost += s.HourlyUSD
		parts = append(parts, fmt.Sprintf("%d %s (%s, pool %s, $%.4f/h)", s.Nodes, s.InstanceType, s.Kind, s.NodePool, s.HourlyUSD))
	}
	return fmt.Sprintf("%d of %s's steady-state nodes, $%.4f/h or %.1f%% of its cost, are of accelerated or storage-dense types and run pods "+
		"that request no accelerator: %s. A pool that allows every instance category lets Karpenter pick such a type whenever its offering "+
		"is the cheapest that fits; the lower bound prices capacity alone, so these nodes are part of the gap to it. A requirement on "+
		"%s (c, m, r) keeps them out; the estimate does not try changes to the pools.",
		nodes, scenario, cost, 100*cost/hourly, strings.Join(parts, ", "), poolspec.LabelInstanceCategory)
}
