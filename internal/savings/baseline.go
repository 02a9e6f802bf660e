package savings

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	corev1 "k8s.io/api/core/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/cloudprovider"
	"sigs.k8s.io/karpenter/pkg/scheduling"
	"sigs.k8s.io/karpenter/pkg/utils/resources"

	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// BaselineGroup is an on-demand node group the baseline adds for pods that fit no node of its own instance type:
// an operator running such pods adds a bigger group of the same family, and so does the estimate.
type BaselineGroup struct {
	// InstanceType is the smallest size of the family that holds the pods.
	InstanceType string `json:"instanceType"`
	// Extends is the instance type of the group it stands beside (--baseline-type or --baseline-gpu-type).
	Extends string `json:"extends"`
	// Workloads are the pods that fit no node of Extends, by workload.
	Workloads []WorkloadPods `json:"workloads"`
}

// baseGroup is one of the baseline's node groups before it becomes a NodePool.
type baseGroup struct {
	pool         string
	class        string
	instanceType string
	taints       []corev1.Taint
}

// planBaseline returns the baseline's node groups, the base groups first and then, for pods that fit no node of
// them, one extra group per instance type, smallest first. A pod goes to an extra group of the GPU group's family
// when it requests a GPU, else of the CPU group's. It is an error when no size of the family holds a pod.
func (e *estimator) planBaseline(ctx context.Context) ([]baseGroup, []BaselineGroup, error) {
	gpuTaints := []corev1.Taint{{Key: string(workload.GPUResource), Value: "true", Effect: corev1.TaintEffectNoSchedule}}
	base := []baseGroup{
		{pool: baselinePool, class: poolspec.Default, instanceType: e.o.BaselineType},
		{pool: baselineGPUPool, class: e.gpuClass, instanceType: e.o.BaselineGPUType, taints: gpuTaints},
	}
	types := make([][]*cloudprovider.InstanceType, len(base))
	baseTypes := make([]*cloudprovider.InstanceType, len(base))
	for i, g := range base {
		types[i] = e.builder.For(ctx, e.classes[g.class])
		idx := slices.IndexFunc(types[i], func(it *cloudprovider.InstanceType) bool { return it.Name == g.instanceType })
		if idx < 0 {
			return nil, nil, fmt.Errorf("savings: baseline: %s is not offered in %s", g.instanceType, e.o.Region)
		}
		baseTypes[i] = types[i][idx]
	}

	extra := map[string]*BaselineGroup{}
	extraIn := map[string]int{} // extra instance type → index of the base group it extends
	var errs []error
	seen := map[string]string{} // groupKey → the extra type chosen, "" when a base group holds the pod
	extraPods := map[string][]*corev1.Pod{}
	for _, p := range e.pods {
		key := groupKey(p)
		if t, ok := seen[key]; ok {
			if t != "" {
				extraPods[t] = append(extraPods[t], p)
			}
			continue
		}
		seen[key] = ""
		if fitsAny(p, base, baseTypes, e.w.DaemonSetPods) {
			continue
		}
		i := 0
		if requestsGPU(p) {
			i = 1
		}
		g := base[i]
		family := baseTypes[i].Requirements.Get(awsv1.LabelInstanceFamily).Any()
		var best *cloudprovider.InstanceType
		for _, it := range types[i] {
			if it.Requirements.Get(awsv1.LabelInstanceFamily).Any() != family || !fits(p, g.taints, it, e.w.DaemonSetPods) {
				continue
			}
			if best == nil || compareSize(it, best) < 0 {
				best = it
			}
		}
		if best == nil {
			flag := "--baseline-type"
			if i == 1 {
				flag = "--baseline-gpu-type"
			}
			// A pod no size could hold for its labels (an arm64-only image against an x86 node group) is not a
			// question of size: say which requirement the group's type cannot meet.
			if err := baseTypes[i].Requirements.Compatible(scheduling.NewStrictPodRequirements(p), scheduling.AllowUndefinedWellKnownLabels); err != nil {
				errs = append(errs, fmt.Errorf("%s %s/%s (pod %s) can run on no size of the %s family of %s %s: %w; the baseline is one node group "+
					"of one instance type, so a workload of another architecture needs a baseline type of that architecture",
					workload.OwnerOf(p).Kind, p.Namespace, workload.OwnerOf(p).Name, p.Name, family, flag, g.instanceType, err))
				continue
			}
			errs = append(errs, fmt.Errorf("pod %s/%s (requests %s, arch %v) fits no size of the %s family of %s %s",
				p.Namespace, p.Name, resources.String(resources.RequestsForPods(p)),
				scheduling.NewStrictPodRequirements(p).Get(corev1.LabelArchStable).Values(), family, flag, g.instanceType))
			continue
		}
		seen[key] = best.Name
		extraPods[best.Name] = append(extraPods[best.Name], p)
		if _, ok := extra[best.Name]; !ok {
			extra[best.Name] = &BaselineGroup{InstanceType: best.Name, Extends: g.instanceType}
			extraIn[best.Name] = i
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, fmt.Errorf("savings: baseline: %w", err)
	}

	names := make([]string, 0, len(extra))
	for name := range extra {
		names = append(names, name)
	}
	sizes := map[string]*cloudprovider.InstanceType{}
	for i := range base {
		for _, it := range types[i] {
			if _, ok := extra[it.Name]; ok {
				sizes[it.Name] = it
			}
		}
	}
	slices.SortFunc(names, func(a, b string) int { return compareSize(sizes[a], sizes[b]) })
	groups := base
	var report []BaselineGroup
	for _, name := range names {
		b := base[extraIn[name]]
		groups = append(groups, baseGroup{pool: b.pool + "-" + name, class: b.class, instanceType: name, taints: b.taints})
		g := extra[name]
		g.Workloads = CountWorkloads(extraPods[name])
		report = append(report, *g)
	}
	return groups, report, nil
}

// fitsAny says whether p fits a node of one of the groups.
func fitsAny(p *corev1.Pod, groups []baseGroup, types []*cloudprovider.InstanceType, daemonSetPods []*corev1.Pod) bool {
	for i, g := range groups {
		if fits(p, g.taints, types[i], daemonSetPods) {
			return true
		}
	}
	return false
}

// fits says whether p, alone with the DaemonSet pods that would run beside it, fits an empty node of it with taints.
func fits(p *corev1.Pod, taints []corev1.Taint, it *cloudprovider.InstanceType, daemonSetPods []*corev1.Pod) bool {
	if scheduling.Taints(taints).ToleratesPod(p) != nil {
		return false
	}
	if it.Requirements.Compatible(scheduling.NewStrictPodRequirements(p), scheduling.AllowUndefinedWellKnownLabels) != nil {
		return false
	}
	need := resources.RequestsForPods(p)
	for _, d := range daemonSetPods {
		if scheduling.Taints(taints).ToleratesPod(d) == nil &&
			it.Requirements.Compatible(scheduling.NewStrictPodRequirements(d), scheduling.AllowUndefinedWellKnownLabels) == nil {
			need = resources.Merge(need, resources.RequestsForPods(d))
		}
	}
	return resources.Fits(need, it.Allocatable())
}

// compareSize orders instance types by vCPUs, then memory, then GPUs, then name.
func compareSize(a, b *cloudprovider.InstanceType) int {
	ga, gb := a.Capacity[workload.GPUResource], b.Capacity[workload.GPUResource]
	return cmp.Or(
		a.Capacity.Cpu().Cmp(*b.Capacity.Cpu()),
		a.Capacity.Memory().Cmp(*b.Capacity.Memory()),
		ga.Cmp(gb),
		cmp.Compare(a.Name, b.Name),
	)
}

func requestsGPU(p *corev1.Pod) bool {
	q, ok := resources.RequestsForPods(p)[workload.GPUResource]
	return ok && !q.IsZero()
}

// baselinePools turns node groups into single-type, on-demand NodePools. The weights make Karpenter open a node of
// the smallest group that holds a pod, as an operator's autoscaler expanding the cheapest fitting group would; like
// kube-scheduler, it still fills room left on any open node first.
func baselinePools(groups []baseGroup) []*karpv1.NodePool {
	out := make([]*karpv1.NodePool, len(groups))
	// NodePool weights run 1 to 100; the baseline has two groups plus one per instance type a pod needs, far fewer.
	weight := int32(min(len(groups), 100)) //nolint:gosec // bounded to 100 on the left
	for i, g := range groups {
		out[i] = singleType(g.pool, g.class, g.instanceType, g.taints)
		if len(groups) > 2 {
			out[i].Spec.Weight = new(max(weight, 1))
			weight--
		}
	}
	return out
}
