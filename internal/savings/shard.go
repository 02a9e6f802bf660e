package savings

import (
	"maps"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultMaxShardPods keeps one scheduling pass near a thousand pods. Karpenter's scheduler tries every pod
// against every NodeClaim it has opened, so a pass costs pods × nodes; and smaller shards change how Karpenter's
// greedy packing mixes arm-capable pods into amd64 nodes, which TestShardedWithinTwoPercentOfUnsharded bounds.
const DefaultMaxShardPods = 1000

// NodeGroupShardPods is the shard size of the baseline's node groups. Each group launches one instance type, so a
// shard of any size packs the same nodes but for its partly filled last ones, which solve packs again; and a
// group's small nodes open many NodeClaims per pod, which makes a large pass dear (1,000 pods open 280 of them).
// TestShardedWithinTwoPercentOfUnsharded covers the baseline with it.
const NodeGroupShardPods = 100

// shard cuts pods into k identical shards plus a remainder, so that the scheduler packs one shard and the estimate
// counts its nodes k times. Identical pods (same namespace, labels and spec — the replicas of one workload) are
// dealt evenly: each shard gets floor(n/k) of a group of n, the remainder the n mod k left over. Every shard thus
// has the workload's mix, and Karpenter still does all the packing; topology spread is kept within each shard rather
// than across all of them, and solve packs the pods of each shard's partly filled nodes again.
func shard(pods []*corev1.Pod, maxPods int, groupOf func(*corev1.Pod) string) (k int, base, rest []*corev1.Pod) {
	if maxPods <= 0 || len(pods) <= maxPods {
		return 1, pods, nil
	}
	k = (len(pods) + maxPods - 1) / maxPods
	groups := map[string][]*corev1.Pod{}
	var keys []string
	for _, p := range pods {
		key := groupOf(p)
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], p)
	}
	sort.Strings(keys)
	for _, key := range keys {
		g := groups[key]
		per := len(g) / k
		base = append(base, g[:per]...)
		rest = append(rest, g[per*k:]...)
	}
	if len(base) == 0 {
		// No workload has k replicas (e.g. many one-replica Deployments): there is nothing to deal, and the
		// workload is packed in one pass.
		return 1, pods, nil
	}
	return k, base, rest
}

// groupKey identifies pods the scheduler cannot tell apart and that belong to the same workload, so that every
// workload keeps its share of each shard: the controller, the namespace, the labels, the annotations (which
// Karpenter's disruption reads: karpenter.sh/do-not-disrupt) and the spec, the spec in its protobuf encoding
// (Kubernetes' generated code writes map entries in key order, so equal specs encode equally).
func groupKey(p *corev1.Pod) string {
	spec, err := p.Spec.Marshal()
	if err != nil {
		// A PodSpec always marshals; a pod that would not is its own group.
		return string(p.UID)
	}
	var b strings.Builder
	if ref := metav1.GetControllerOf(p); ref != nil {
		b.WriteString(ref.Kind + "/" + ref.Name + "/" + string(ref.UID))
	}
	b.WriteString("\x00" + p.Namespace + "\x00")
	for _, k := range slices.Sorted(maps.Keys(p.Labels)) {
		b.WriteString(k + "=" + p.Labels[k] + "\x00")
	}
	b.WriteString("\x00")
	for _, k := range slices.Sorted(maps.Keys(p.Annotations)) {
		b.WriteString(k + "=" + p.Annotations[k] + "\x00")
	}
	b.Write(spec)
	return b.String()
}
