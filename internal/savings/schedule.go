package savings

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	"github.com/aws/karpenter-provider-aws/pkg/providers/instance/filter"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"
	fakeclient "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/log"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/cloudprovider"
	karpscheduling "sigs.k8s.io/karpenter/pkg/controllers/provisioning/scheduling"
	"sigs.k8s.io/karpenter/pkg/controllers/state"
	"sigs.k8s.io/karpenter/pkg/events"
	"sigs.k8s.io/karpenter/pkg/operator/injection"
	coreoptions "sigs.k8s.io/karpenter/pkg/operator/options"
	"sigs.k8s.io/karpenter/pkg/scheduling"
	nodepoolutils "sigs.k8s.io/karpenter/pkg/utils/nodepool"

	"github.com/karpenter-savings/karpenter-savings/internal/savings/instancetypes"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// maxPodErrors bounds how many unplaceable pods an error lists.
const maxPodErrors = 3

// pools is one scenario's NodePools and the EC2NodeClasses they reference, with the memo every scenario of one
// estimate shares (nil: nothing is remembered).
type pools struct {
	nodePools []*karpv1.NodePool
	classes   map[string]*awsv1.EC2NodeClass
	memo      *memo
}

// memo remembers what every pass of one estimate would otherwise compute again: each pod's shard group (pods are
// shared by pointer between scenarios) and each pool's instance types.
type memo struct {
	groups sync.Map // *corev1.Pod → string
	types  sync.Map // typesKey → []*cloudprovider.InstanceType
	// passes are the passes packed so far (see pack), and misses how many were packed rather than remembered.
	passes sync.Map // passKey → *packCall
	misses atomic.Int64
	// keepDominated keeps the dominated instance types, for the test that shows dropping them changes nothing.
	keepDominated bool
}

// typesKey names a pool's instance types: its class, its requirements and its limits.
type typesKey struct {
	class, requirements, limits, held string
	pruned                            bool
}

func (m *memo) groupKey(p *corev1.Pod) string {
	if m == nil {
		return groupKey(p)
	}
	if k, ok := m.groups.Load(p); ok {
		return k.(string)
	}
	k := groupKey(p)
	m.groups.Store(p, k)
	return k
}

// poolTypes is what Karpenter's scheduler would consider for np: the class's instance types that fit its limits and
// its template, less the dominated ones (see prunable).
func (m *memo) poolTypes(ctx context.Context, b *instancetypes.Builder, np *karpv1.NodePool, nc *awsv1.EC2NodeClass, keepLimits bool) []*cloudprovider.InstanceType {
	reqs := karpscheduling.NewNodeClaimTemplate(np).Requirements
	prune, held := prunable(np, reqs, keepLimits)
	prune = prune && (m == nil || !m.keepDominated)
	compute := func() []*cloudprovider.InstanceType {
		its := compatible(reqs, capped(b.For(ctx, nc), np.Spec.Limits))
		if !prune {
			return its
		}
		return undominated(its, held)
	}
	if m == nil {
		return compute()
	}
	key := typesKey{class: nc.Name, requirements: fmt.Sprint(reqs), limits: fmt.Sprint(np.Spec.Limits), pruned: prune, held: fmt.Sprint(held)}
	if its, ok := m.types.Load(key); ok {
		return its.([]*cloudprovider.InstanceType)
	}
	its := compute()
	m.types.Store(key, its)
	return its
}

// solve places pods with Karpenter's provisioning scheduler on an empty cluster with the given pools, then
// launches each NodeClaim the way Karpenter's AWS provider picks an offering, and returns the nodes. With steady,
// it also runs Karpenter's consolidation on those nodes (see consolidate) and returns the nodes that remain; every
// pass's offline cluster holds the budgets, with their status over the whole workload (see disruptionBudgets).
//
// A workload larger than maxShardPods is cut into shards (see shards) that Karpenter packs one at a time. Each
// shard's well-filled nodes (see filled) are kept, and the pods of its partly filled nodes, from every shard, are
// packed again together, by the same rule. Each pass thus stays near maxShardPods, the number of passes grows with
// the workload, and only the last pass leaves nodes partly filled, as one pass over the whole workload would. Passes
// are remembered (memo.pack): identical shards, and the shards an advice run leaves as they were, are packed once.
func solve(ctx context.Context, b *instancetypes.Builder, p pools, pods, daemonSetPods []*corev1.Pod, budgets []*policyv1.PodDisruptionBudget, maxShardPods int, steady bool) (first, settled []Node, err error) {
	on, err := onKey(p, daemonSetPods, budgets)
	if err != nil {
		return nil, nil, err
	}
	return solveOn(ctx, b, p, on, pods, daemonSetPods, budgets, maxShardPods, steady)
}

func solveOn(ctx context.Context, b *instancetypes.Builder, p pools, on [sha256.Size]byte, pods, daemonSetPods []*corev1.Pod, budgets []*policyv1.PodDisruptionBudget, maxShardPods int, steady bool) (first, settled []Node, err error) {
	parts := shards(pods, maxShardPods, p.memo.groupKey)
	if len(parts) == 1 {
		pk, err := p.memo.pack(ctx, b, p, on, pods, daemonSetPods, budgets, false, steady)
		if err != nil {
			return nil, nil, err
		}
		return slices.Clone(pk.first), slices.Clone(pk.settled), nil
	}
	// The shards are packed concurrently, as many at once as packSlots lets every pass of the process.
	packs := make([]*packed, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Go(func() {
			packs[i], errs[i] = p.memo.pack(ctx, b, p, on, part, daemonSetPods, budgets, true, steady)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	var again []*corev1.Pod
	for i, part := range parts {
		pk := packs[i]
		first, settled = append(first, pk.first...), append(settled, pk.settled...)
		// The pass may have been packed for another shard of the same groups: this shard's own pods of those groups
		// are packed again.
		byGroup := map[string][]*corev1.Pod{}
		for _, pod := range part {
			key := p.memo.groupKey(pod)
			byGroup[key] = append(byGroup[key], pod)
		}
		for _, key := range pk.partial {
			again = append(again, byGroup[key][0])
			byGroup[key] = byGroup[key][1:]
		}
	}
	if len(again) == len(pods) {
		// The shards filled no node: they are too small for the nodes the pools launch. Shards twice as large end,
		// at worst, at one pass over the whole workload.
		return solveOn(ctx, b, p, on, pods, daemonSetPods, budgets, 2*maxShardPods, steady)
	}
	if len(again) > 0 {
		f, s, err := solveOn(ctx, b, p, on, again, daemonSetPods, budgets, maxShardPods, steady)
		if err != nil {
			return nil, nil, err
		}
		first, settled = append(first, f...), append(settled, s...)
	}
	sortNodes(first)
	sortNodes(settled)
	return first, settled, nil
}

// packSlots bounds how many passes the process packs at once: twice the cores, which keeps both cores busy while
// one pass waits on another's shards, and the offline clusters of only that many consolidations in memory.
var packSlots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

// packed is one pass remembered: its nodes at the first scale-up and at the steady state and, for a shard, the
// shard groups of the pods on its partly filled nodes, which are not among its nodes.
type packed struct {
	first, settled []Node
	partial        []string
}

// pack runs one pass of Karpenter's scheduler over pods and, with steady, consolidates its nodes. With split (a
// shard), only the well-filled nodes are kept and the shard groups of the other nodes' pods are returned for packing
// again. A pass of the same pools, DaemonSets, budgets and shard groups is packed once per estimate.
func (m *memo) pack(ctx context.Context, b *instancetypes.Builder, p pools, on [sha256.Size]byte, pods, daemonSetPods []*corev1.Pod, budgets []*policyv1.PodDisruptionBudget, split, steady bool) (*packed, error) {
	if m == nil {
		return packOnce(ctx, b, p, nil, pods, daemonSetPods, budgets, split, steady)
	}
	// One pass per key, even when shards of the same groups are packed at once: the first caller packs it, the
	// others wait for its result.
	key := passKey{on: on, pods: podsKey(pods, m.groupKey), split: split, steady: steady}
	c := &packCall{done: make(chan struct{})}
	if prior, loaded := m.passes.LoadOrStore(key, c); loaded {
		c = prior.(*packCall)
		<-c.done
		return c.pk, c.err
	}
	c.pk, c.err = packOnce(ctx, b, p, m, pods, daemonSetPods, budgets, split, steady)
	if c.err == nil {
		m.misses.Add(1)
	}
	close(c.done)
	return c.pk, c.err
}

// packCall is one pass of the memo, packed or being packed: done closes when pk or err is set.
type packCall struct {
	done chan struct{}
	pk   *packed
	err  error
}

// packOnce packs one pass (see pack), as many at once as packSlots allows.
func packOnce(ctx context.Context, b *instancetypes.Builder, p pools, m *memo, pods, daemonSetPods []*corev1.Pod, budgets []*policyv1.PodDisruptionBudget, split, steady bool) (*packed, error) {
	packSlots <- struct{}{}
	defer func() { <-packSlots }()
	pass, err := scheduleOnce(ctx, b, p, pods, daemonSetPods, false)
	if err != nil {
		return nil, err
	}
	if len(pass.podErrors) > 0 {
		return nil, podErrors(pass.podErrors)
	}
	out := &packed{}
	if split {
		// The scheduler packs copies of the pods and may relax their preferences; the groups are the originals'.
		byUID := make(map[types.UID]*corev1.Pod, len(pods))
		for _, pod := range pods {
			byUID[pod.UID] = pod
		}
		full := make([]placement, 0, len(pass.placed))
		for _, pl := range pass.placed {
			if filled(pl) {
				full = append(full, pl)
				continue
			}
			for _, pod := range pl.claim.Pods {
				orig, ok := byUID[pod.UID]
				if !ok {
					return nil, fmt.Errorf("pod %s/%s of a NodeClaim is not among the pods packed", pod.Namespace, pod.Name)
				}
				out.partial = append(out.partial, m.groupKey(orig))
			}
		}
		pass.placed = full
	}
	out.first = canonicalZones(pass.placed, b.Zones())
	if steady {
		remaining, err := consolidate(ctx, pass, daemonSetPods, budgets)
		if err != nil {
			return nil, fmt.Errorf("consolidation: %w", err)
		}
		out.settled = canonicalZones(remaining, b.Zones())
	}
	sortNodes(out.first)
	sortNodes(out.settled)
	return out, nil
}

// fillRatio is how full a node of a shard must be, in CPU or memory requests against its allocatable, to count as
// packed: Karpenter's scheduler fills a node before it opens the next for the same pods, so the nodes below it are
// the last ones opened, which the whole workload would have filled further.
const fillRatio = 0.9

// filled says whether a node's requests reach fillRatio of its allocatable CPU or memory. The requests are the
// NodeClaim's own, as Karpenter's FinalizeScheduling leaves them: its pods' and its DaemonSets' overhead. Without
// the daemons, a node that DaemonSets fill would never count as packed, and a shard of such nodes would be counted
// k times with each shard's partly filled last node in it.
func filled(pl placement) bool {
	requests := pl.claim.Spec.Resources.Requests
	allocatable := pl.it.Allocatable()
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		a := allocatable[name]
		r := requests[name]
		if a.Sign() > 0 && r.AsApproximateFloat64() >= fillRatio*a.AsApproximateFloat64() {
			return true
		}
	}
	return false
}

// scheduleHeld runs one pass of Karpenter's scheduler with the pools' limits bounding their totals, as in a
// cluster, and launches its NodeClaims; the pods the limits leave out come back as pod errors.
func scheduleHeld(ctx context.Context, b *instancetypes.Builder, p pools, pods, daemonSetPods []*corev1.Pod) ([]Node, map[*corev1.Pod]error, error) {
	pass, err := scheduleOnce(ctx, b, p, pods, daemonSetPods, true)
	if err != nil {
		return nil, nil, err
	}
	return canonicalZones(pass.placed, b.Zones()), pass.podErrors, nil
}

// pass is one scheduling pass: the pools as Karpenter saw them, what it launched, and the pods it left out.
type pass struct {
	nodePools []*karpv1.NodePool
	its       map[string][]*cloudprovider.InstanceType
	placed    []placement
	podErrors map[*corev1.Pod]error
}

// prepare orders p's pools as the provisioner does and resolves each pool's instance types.
func prepare(ctx context.Context, b *instancetypes.Builder, p pools, keepLimits bool) ([]*karpv1.NodePool, map[string][]*cloudprovider.InstanceType, error) {
	nodePools := make([]*karpv1.NodePool, len(p.nodePools))
	its := map[string][]*cloudprovider.InstanceType{}
	for i, np := range p.nodePools {
		ref := np.Spec.Template.Spec.NodeClassRef
		nc, ok := p.classes[ref.Name]
		if !ok {
			return nil, nil, fmt.Errorf("NodePool %s references EC2NodeClass %q, which is not in the set", np.Name, ref.Name)
		}
		// A pool's limits bound every node it launches (Karpenter drops instance types larger than what the limits
		// leave) as well as the pool's total. An estimate keeps the first effect and lifts the second, so that every
		// pod is placed on nodes the pool could really launch.
		its[np.Name] = p.memo.poolTypes(ctx, b, np, nc, keepLimits)
		nodePools[i] = np.DeepCopy()
		if !keepLimits {
			nodePools[i].Spec.Limits = nil
		}
	}
	// The provisioner orders pools by weight before it builds the scheduler, which tries them in slice order.
	nodepoolutils.OrderByWeight(nodePools)
	return nodePools, its, nil
}

func scheduleOnce(ctx context.Context, b *instancetypes.Builder, p pools, pods, daemonSetPods []*corev1.Pod, keepLimits bool) (pass, error) {
	ctx = schedulerContext(ctx)
	// The scheduler sorts the pod slice and relaxes DaemonSet pods in place; scenarios run concurrently on the same
	// pods, so each pass gets its own copies.
	pods, daemonSetPods = deepCopy(pods), deepCopy(daemonSetPods)
	nodePools, its, err := prepare(ctx, b, p, keepLimits)
	if err != nil {
		return pass{}, err
	}
	kube := fakeclient.NewClientBuilder().Build()
	clk := clock.RealClock{}
	// The cluster state is empty: an estimate starts from no nodes. Nothing reads the cloud provider of an empty
	// cluster, so none is given.
	cluster := state.NewCluster(clk, kube, nil)
	topology, err := karpscheduling.NewTopology(ctx, kube, cluster, nil, nodePools, its, pods)
	if err != nil {
		return pass{}, fmt.Errorf("topology: %w", err)
	}
	s := karpscheduling.NewScheduler(ctx, kube, nodePools, cluster, nil, topology, its, daemonSetPods,
		events.NewRecorder(&record.FakeRecorder{}), clk, nil, nil)
	results, err := s.Solve(ctx, pods)
	if err != nil {
		return pass{}, fmt.Errorf("solve: %w", err)
	}
	placed := make([]placement, 0, len(results.NewNodeClaims))
	for _, nc := range results.NewNodeClaims {
		p, err := launch(nc)
		if err != nil {
			return pass{}, err
		}
		placed = append(placed, p)
	}
	return pass{nodePools: nodePools, its: its, placed: placed, podErrors: results.PodErrors}, nil
}

// placement is a launched node, every zone it could have launched in at the same price, and what Karpenter launched
// it for: the NodeClaim, its instance type and its pods.
type placement struct {
	node  Node
	zones []string
	claim *karpscheduling.NodeClaim
	it    *cloudprovider.InstanceType
}

// canonicalZones names the zones of one scheduling pass's nodes the same way on every run. Zones are
// interchangeable in an estimate: the builder offers every instance type in every zone at one price, and a workload
// cannot name a zone (workload.NodeKeys), so renaming the zones of a placement gives an equally valid placement at
// the same cost. Karpenter's scheduler picks among the zones a topology spread leaves tied by ranging over a map,
// so the same packing can come back with its zones renamed from one run to the next. Of all renamings, the estimate
// reports the one whose sorted nodes compare least, which is the same whichever renaming Karpenter returned. Where
// Karpenter's pick also changes which pods share a node, runs still differ; only a fixed tie-break inside its
// topology code would remove that.
func canonicalZones(placed []placement, zones []string) []Node {
	from := slices.Compact(slices.Sorted(slices.Values(zones)))
	var best []Node
	permutations(slices.Clone(from), func(to []string) {
		rename := make(map[string]string, len(from))
		for i, z := range from {
			rename[z] = to[i]
		}
		nodes := make([]Node, len(placed))
		for i, p := range placed {
			nodes[i] = p.node
			// launch takes the first zone of equally cheap offerings; after renaming, that is the least new name.
			nodes[i].Zone = rename[p.zones[0]]
			for _, z := range p.zones[1:] {
				nodes[i].Zone = min(nodes[i].Zone, rename[z])
			}
		}
		sortNodes(nodes)
		if best == nil || slices.CompareFunc(nodes, best, compareNodes) < 0 {
			best = nodes
		}
	})
	return best
}

// permutations calls visit with every ordering of s, reordering s in place; visit must not keep its argument. An AWS
// region has at most six Availability Zones, so there are at most 720.
func permutations(s []string, visit func([]string)) {
	var permute func(k int)
	permute = func(k int) {
		if k == len(s) {
			visit(s)
			return
		}
		for i := k; i < len(s); i++ {
			s[k], s[i] = s[i], s[k]
			permute(k + 1)
			s[k], s[i] = s[i], s[k]
		}
	}
	permute(0)
}

// compatible keeps the instance types whose requirements intersect a pool's template requirements (its
// NodeClaimTemplate's), as Karpenter's scheduler does before it packs; the others could never launch for the pool,
// and every scheduling pass and consolidation simulation would weigh them again.
func compatible(reqs scheduling.Requirements, its []*cloudprovider.InstanceType) []*cloudprovider.InstanceType {
	out := make([]*cloudprovider.InstanceType, 0, len(its))
	for _, it := range its {
		if it.Requirements.Intersects(reqs) == nil {
			out = append(out, it)
		}
	}
	return out
}

// prunable says whether a pool's dominated instance types can be left out, and which resources a dominating type
// must then match exactly. Not for a pool whose requirements (reqs, its template's) set minValues: the dominated
// types count towards the distinct values minValues asks for. When its limits are held (keepLimits), Karpenter drops
// the types larger than what the pool has left, so a dominated type that is smaller in a limited resource may be the
// one that still fits: only a type of exactly the same size in every limited resource stands in for it.
func prunable(np *karpv1.NodePool, reqs scheduling.Requirements, keepLimits bool) (bool, []corev1.ResourceName) {
	if reqs.HasMinValues() {
		return false, nil
	}
	if !keepLimits {
		return true, nil
	}
	held := make([]corev1.ResourceName, 0, len(np.Spec.Limits))
	for name := range np.Spec.Limits {
		held = append(held, name)
	}
	slices.Sort(held)
	return true, held
}

// undominated drops every instance type another one dominates (see dominates), of exactly the same size in each
// held resource: Karpenter could never launch it where the other is an option, so no placement, consolidation or
// price changes, and every scheduling pass and consolidation simulation weighs fewer types.
// TestDominatedTypesChangeNoPlacement and TestLimitsCheckKeepsDominatedTypes check that.
func undominated(its []*cloudprovider.InstanceType, held []corev1.ResourceName) []*cloudprovider.InstanceType {
	out := make([]*cloudprovider.InstanceType, 0, len(its))
	for _, a := range its {
		dominated := false
		for _, b := range its {
			if b != a && sameSize(a, b, held) && dominates(b, a) {
				dominated = true
				break
			}
		}
		if !dominated {
			out = append(out, a)
		}
	}
	return out
}

// sameSize says whether a and b have the same capacity in every named resource.
func sameSize(a, b *cloudprovider.InstanceType, names []corev1.ResourceName) bool {
	for _, name := range names {
		if a.Capacity.Name(name, resource.DecimalSI).Cmp(*b.Capacity.Name(name, resource.DecimalSI)) != 0 {
			return false
		}
	}
	return true
}

// dominates says instance type b can stand in for a in every decision Karpenter makes in an estimate:
//   - every pod that a can take, b can: the same architecture and OS (the only node labels a workload may select
//     on, workload.NodeKeys), at least a's capacity and allocatable CPU, memory, pods and ephemeral storage, the
//     same accelerators and the same metal-ness (so the AWS provider's exotic-instance filter treats both alike);
//   - wherever a is offered (zone and capacity type), b is too, and cheaper, or at the same price with a name that
//     sorts first (launch's tie-break), so launch and consolidation's price filters always prefer b.
func dominates(b, a *cloudprovider.InstanceType) bool {
	for _, key := range []string{corev1.LabelArchStable, corev1.LabelOSStable} {
		if !a.Requirements.Get(key).Has(b.Requirements.Get(key).Any()) || a.Requirements.Get(key).Len() != b.Requirements.Get(key).Len() {
			return false
		}
	}
	if metal(a) != metal(b) {
		return false
	}
	general := []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourcePods, corev1.ResourceEphemeralStorage}
	for name, q := range a.Capacity {
		if !slices.Contains(general, name) && !q.Equal(b.Capacity[name]) {
			return false
		}
	}
	for name, q := range b.Capacity {
		if !slices.Contains(general, name) && !q.Equal(a.Capacity[name]) {
			return false
		}
	}
	aAlloc, bAlloc := a.Allocatable(), b.Allocatable()
	for _, name := range general {
		if a.Capacity.Name(name, resource.DecimalSI).Cmp(*b.Capacity.Name(name, resource.DecimalSI)) > 0 ||
			aAlloc.Name(name, resource.DecimalSI).Cmp(*bAlloc.Name(name, resource.DecimalSI)) > 0 {
			return false
		}
	}
	for _, o := range a.Offerings.Available() {
		better := false
		for _, p := range b.Offerings.Available() {
			if p.Zone() == o.Zone() && p.CapacityType() == o.CapacityType() && (p.Price < o.Price || (p.Price == o.Price && b.Name < a.Name)) {
				better = true
				break
			}
		}
		if !better {
			return false
		}
	}
	return true
}

// metal says whether an instance type is a bare-metal size, which the AWS provider's exotic filter sets apart.
func metal(it *cloudprovider.InstanceType) bool {
	return slices.ContainsFunc(it.Requirements.Get(awsv1.LabelInstanceSize).Values(), func(size string) bool {
		return strings.Contains(size, "metal")
	})
}

// capped keeps the instance types whose capacity fits within limits, as Karpenter's scheduler does for a pool that
// has launched nothing yet.
func capped(its []*cloudprovider.InstanceType, limits karpv1.Limits) []*cloudprovider.InstanceType {
	if len(limits) == 0 {
		return its
	}
	out := make([]*cloudprovider.InstanceType, 0, len(its))
	for _, it := range its {
		fits := true
		for name, limit := range limits {
			if q, ok := it.Capacity[name]; ok && q.Cmp(limit) > 0 {
				fits = false
				break
			}
		}
		if fits {
			out = append(out, it)
		}
	}
	return out
}

// schedulerContext carries what Karpenter's code reads from the context: its core options at their flag
// defaults, a controller name for its metrics, the AWS provider's options, and a logger that discards.
func schedulerContext(ctx context.Context) context.Context {
	ctx = instancetypes.WithDefaultOptions(ctx)
	ctx = log.IntoContext(ctx, logr.Discard())
	ctx = injection.WithControllerName(ctx, "savings")
	return coreoptions.ToContext(ctx, &coreoptions.Options{
		BatchMaxDuration:  10 * time.Second,
		BatchIdleDuration: time.Second,
		PreferencePolicy:  coreoptions.PreferencePolicyRespect,
		MinValuesPolicy:   coreoptions.MinValuesPolicyStrict,
		IgnoreDRARequests: true,
		FeatureGates:      coreoptions.FeatureGates{ReservedCapacity: true},
	})
}

func podErrors(errs map[*corev1.Pod]error) error {
	keys := make([]string, 0, len(errs))
	byKey := map[string]error{}
	for p, err := range errs {
		k := p.Namespace + "/" + p.Name
		keys = append(keys, k)
		byKey[k] = err
	}
	sort.Strings(keys)
	var joined []error
	for i, k := range keys {
		if i == maxPodErrors {
			joined = append(joined, fmt.Errorf("and %d more", len(keys)-maxPodErrors))
			break
		}
		joined = append(joined, fmt.Errorf("pod %s: %w", k, byKey[k]))
	}
	return fmt.Errorf("%d pod(s) cannot be placed: %w", len(keys), errors.Join(joined...))
}

// launch picks the node a NodeClaim becomes, following Karpenter's AWS provider: the instance-type filters its
// instance provider runs before CreateFleet, then the capacity type it prefers (reserved, then spot, then
// on-demand), then the cheapest compatible offering. For on-demand that is EC2 Fleet's lowest-price strategy; for
// spot, price-capacity-optimized also weighs pool depth, which a price snapshot cannot know, so cheapest is the
// estimate.
func launch(nc *karpscheduling.NodeClaim) (placement, error) {
	claim := nc.ToNodeClaim()
	reqs := scheduling.NewNodeSelectorRequirementsWithMinValues(claim.Spec.Requirements...)
	// Copies, because the spot filter replaces an instance type's offerings, and the originals are shared.
	its := make([]*cloudprovider.InstanceType, 0, len(nc.InstanceTypeOptions))
	for _, it := range nc.InstanceTypeOptions {
		its = append(its, &cloudprovider.InstanceType{
			Name:             it.Name,
			Requirements:     it.Requirements,
			Offerings:        it.Offerings,
			Capacity:         it.Capacity,
			DynamicResources: it.DynamicResources,
			Overhead:         it.Overhead,
		})
	}
	for _, f := range []filter.Filter{
		filter.CompatibleAvailableFilter(reqs, claim.Spec.Resources.Requests),
		filter.CapacityReservationTypeFilter(reqs),
		filter.CapacityBlockFilter(reqs),
		filter.ReservedOfferingFilter(reqs),
		filter.ExoticInstanceTypeFilter(reqs),
		filter.SpotOfferingFilter(reqs),
	} {
		kept, _ := f.FilterReject(its)
		if len(kept) == 0 {
			return placement{}, fmt.Errorf("NodeClaim of NodePool %s: no instance type left after %s", nc.NodePoolName, f.Name())
		}
		its = kept
	}
	reqs[karpv1.CapacityTypeLabelKey] = scheduling.NewRequirement(karpv1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, capacityType(reqs, its))
	var best *cloudprovider.Offering
	var bestType *cloudprovider.InstanceType
	for _, it := range its {
		for _, o := range it.Offerings.Available().Compatible(reqs) {
			if best == nil || o.Price < best.Price || (o.Price == best.Price && less(it, o, bestType, best)) {
				best, bestType = o, it
			}
		}
	}
	if best == nil {
		return placement{}, fmt.Errorf("NodeClaim of NodePool %s: no available offering", nc.NodePoolName)
	}
	var zones []string
	for _, o := range bestType.Offerings.Available().Compatible(reqs) {
		if o.Price == best.Price {
			zones = append(zones, o.Zone())
		}
	}
	return placement{
		node: Node{
			InstanceType: bestType.Name,
			CapacityType: best.CapacityType(),
			Arch:         bestType.Requirements.Get(corev1.LabelArchStable).Any(),
			Zone:         best.Zone(),
			Pods:         len(nc.Pods),
			HourlyUSD:    best.Price,
			NodePool:     nc.NodePoolName,
			Workloads:    CountWorkloads(nc.Pods),
		},
		zones: zones,
		claim: nc,
		it:    bestType,
	}, nil
}

// less breaks price ties by instance type then zone, so that a NodeClaim launches the same way on every run;
// canonicalZones does the same for the zones Karpenter's scheduler chose.
func less(it *cloudprovider.InstanceType, o *cloudprovider.Offering, bestType *cloudprovider.InstanceType, best *cloudprovider.Offering) bool {
	if it.Name != bestType.Name {
		return it.Name < bestType.Name
	}
	return o.Zone() < best.Zone()
}

// capacityType mirrors the AWS provider's choice: reserved if allowed and offered, then spot, else on-demand.
func capacityType(reqs scheduling.Requirements, its []*cloudprovider.InstanceType) string {
	for _, ct := range []string{karpv1.CapacityTypeReserved, karpv1.CapacityTypeSpot} {
		if !reqs.Get(karpv1.CapacityTypeLabelKey).Has(ct) {
			continue
		}
		r := scheduling.NewRequirements(reqs.Values()...)
		r[karpv1.CapacityTypeLabelKey] = scheduling.NewRequirement(karpv1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, ct)
		for _, it := range its {
			if len(it.Offerings.Available().Compatible(r)) != 0 {
				return ct
			}
		}
	}
	return karpv1.CapacityTypeOnDemand
}

func sortNodes(nodes []Node) {
	slices.SortStableFunc(nodes, compareNodes)
}

// compareNodes orders nodes by pool, instance type, capacity type and zone, fuller nodes first; it compares every
// field, so that nodes that compare equal are equal.
func compareNodes(a, b Node) int {
	return cmp.Or(
		cmp.Compare(a.NodePool, b.NodePool),
		cmp.Compare(a.InstanceType, b.InstanceType),
		cmp.Compare(a.CapacityType, b.CapacityType),
		cmp.Compare(a.Zone, b.Zone),
		cmp.Compare(b.Pods, a.Pods),
		cmp.Compare(a.Arch, b.Arch),
		cmp.Compare(a.HourlyUSD, b.HourlyUSD),
		slices.CompareFunc(a.Workloads, b.Workloads, compareWorkloadPods),
		cmp.Compare(a.DisruptionBlocked, b.DisruptionBlocked),
	)
}

func compareWorkloadPods(a, b WorkloadPods) int {
	return cmp.Or(
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Namespace, b.Namespace),
		cmp.Compare(a.Name, b.Name),
		cmp.Compare(a.Pods, b.Pods),
	)
}

// CountWorkloads counts pods by the workload they belong to (workload.OwnerOf), sorted by kind, namespace, name.
func CountWorkloads(pods []*corev1.Pod) []WorkloadPods {
	counts := map[workload.Owner]int{}
	for _, p := range pods {
		counts[workload.OwnerOf(p)]++
	}
	out := make([]WorkloadPods, 0, len(counts))
	for o, n := range counts {
		out = append(out, WorkloadPods{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name, Pods: n})
	}
	slices.SortFunc(out, compareWorkloadPods)
	return out
}

// withUIDs returns copies of pods with distinct UIDs: the scheduler caches per-pod data by UID, and the same
// manifest read twice must still count twice.
func withUIDs(pods []*corev1.Pod) []*corev1.Pod {
	out := make([]*corev1.Pod, len(pods))
	for i, p := range pods {
		cp := p.DeepCopy()
		cp.UID = types.UID("pod-" + strconv.Itoa(i))
		if cp.Status.Phase == "" {
			cp.Status.Phase = corev1.PodPending
		}
		out[i] = cp
	}
	return out
}

func deepCopy(pods []*corev1.Pod) []*corev1.Pod {
	out := make([]*corev1.Pod, len(pods))
	for i, p := range pods {
		out[i] = p.DeepCopy()
	}
	return out
}

// round6 rounds dollars to a millionth, so reported amounts add up exactly as printed.
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }
