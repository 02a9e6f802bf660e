package savings

import (
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// DefaultMaxShardPods keeps one scheduling pass near a thousand pods. Karpenter's scheduler tries every pod
// against every NodeClaim it has opened, so a pass costs pods × nodes, and its consolidation simulates each node's
// pods against all the others. Karpenter packs a large batch better than several smaller ones of the same pods,
// so shards cost fidelity on workloads of many distinct Deployments (docs/savings.md, "Scale", has the measurements).
const DefaultMaxShardPods = 1000

// NodeGroupShardPods is the shard size of the baseline's node groups. Each group launches one instance type, so a
// shard of any size packs the same nodes but for its partly filled last ones, which solve packs again; and a
// group's small nodes open many NodeClaims per pod, which makes a large pass dear (1,000 pods open 280 of them).
// TestShardedWithinTwoPercentOfUnsharded covers the baseline with it.
const NodeGroupShardPods = 100

// shards cuts pods into k = ⌈len(pods)/maxPods⌉ shards that Karpenter's scheduler packs one at a time. A large
// group of identical pods (one shard group, see groupKey: the replicas of one workload; large: a tenth of a shard or
// more, see dealtGroupPods) is dealt evenly, ⌊n/k⌋ of its n pods to every shard, so that each shard has the large
// workloads in the same mix. What is left, each large group's n mod k pods and every smaller workload, stays
// together by workload: the workloads' leftovers, largest first, each go whole to the shard that holds the fewest
// pods so far. Shards thus differ by at most one
// workload's leftover, a small workload's topology spread and budget stay whole in one pass, and the cut depends on
// the workloads' names and replica counts only: a change to one workload's pod spec (the advice makes such
// changes) leaves every other shard as it was, and the memo of passes (memo.pack) packs those again for free.
// A workload of identical replicas in numbers divisible by k gives k identical shards, which are packed once.
func shards(pods []*corev1.Pod, maxPods int, groupOf func(*corev1.Pod) string) [][]*corev1.Pod {
	if maxPods <= 0 || len(pods) <= maxPods {
		return [][]*corev1.Pod{pods}
	}
	k := (len(pods) + maxPods - 1) / maxPods
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
	out := make([][]*corev1.Pod, k)
	leftovers := map[workload.Owner][]*corev1.Pod{}
	var owners []workload.Owner
	for _, key := range keys {
		g := groups[key]
		per := 0
		if len(g) >= dealtGroupPods(maxPods) {
			per = len(g) / k
		}
		for i := range k {
			out[i] = append(out[i], g[i*per:(i+1)*per]...)
		}
		if rest := g[per*k:]; len(rest) > 0 {
			o := workload.OwnerOf(rest[0])
			if _, ok := leftovers[o]; !ok {
				owners = append(owners, o)
			}
			leftovers[o] = append(leftovers[o], rest...)
		}
	}
	slices.SortFunc(owners, func(a, b workload.Owner) int {
		return cmp.Or(cmp.Compare(len(leftovers[b]), len(leftovers[a])), compareOwners(a, b))
	})
	for _, o := range owners {
		fewest := 0
		for i := range out {
			if len(out[i]) < len(out[fewest]) {
				fewest = i
			}
		}
		out[fewest] = append(out[fewest], leftovers[o]...)
	}
	return out
}

// dealtGroupPods is the size from which a group of identical pods is dealt over the shards rather than kept whole:
// a tenth of a shard. Smaller workloads stay whole, so that an advice run that changes one of them packs one shard
// again rather than all of them; whole, none of them unbalances the shards by more than a tenth.
func dealtGroupPods(maxPods int) int {
	return max(1, maxPods/10)
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

// passKey names a pass's input for the memo of passes: what it packs on (the pools, their classes, the DaemonSets
// and the budgets, hashed together), the pods as a multiset of shard groups (hashed), and how the pass ends.
type passKey struct {
	on, pods [sha256.Size]byte
	split    bool
	steady   bool
}

// onKey hashes what a pass packs on besides its pods. Every pass of one estimate shares the DaemonSets and the
// budgets; the pools differ by scenario.
func onKey(p pools, daemonSetPods []*corev1.Pod, budgets []*policyv1.PodDisruptionBudget) ([sha256.Size]byte, error) {
	classes := make([]string, 0, len(p.classes))
	for name := range p.classes {
		classes = append(classes, name)
	}
	sort.Strings(classes)
	ordered := make([]any, 0, len(classes))
	for _, name := range classes {
		ordered = append(ordered, p.classes[name].Spec)
	}
	b, err := json.Marshal([]any{p.nodePools, ordered, daemonSetPods, budgets})
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// podsKey hashes pods as a multiset of shard groups: two shards of the same workloads' replicas in the same numbers
// pack alike, whatever the pods' names.
func podsKey(pods []*corev1.Pod, groupOf func(*corev1.Pod) string) [sha256.Size]byte {
	keys := make([]string, len(pods))
	for i, p := range pods {
		keys[i] = groupOf(p)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		// Lengths first, so that no two lists of keys hash the same bytes.
		fmt.Fprintf(h, "%d:%s", len(k), k)
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}
