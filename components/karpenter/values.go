package karpenter

import (
	"maps"
	"slices"
)

// CriticalAddonsTaintKey is the taint key of the critical-addons node group the controller must run on.
const CriticalAddonsTaintKey = "CriticalAddonsOnly"

// NodePoolLabel is set on every node Karpenter launches; the controller must never run on one of them.
const NodePoolLabel = "karpenter.sh/nodepool"

// ReleaseValues are the plain settings the controller's Helm values are built from.
type ReleaseValues struct {
	ClusterName          string            // settings.clusterName.
	InterruptionQueue    string            // settings.interruptionQueue: the queue's name, not its ARN.
	ServiceAccount       string            // serviceAccount.name, matched by the Pod Identity association.
	ControllerCPU        string            // controller CPU request and limit.
	ControllerMemory     string            // controller memory request and limit.
	Replicas             int               // controller replicas.
	CriticalNodeSelector map[string]string // labels of the nodes the controller must run on.
}

// HelmValues are the karpenter chart's values for v; the component and the offline render test share them.
// Only maps, slices, strings, ints and bools appear, as if Helm had read them from YAML.
func HelmValues(v ReleaseValues) map[string]any {
	resources := func() map[string]any {
		// Requests equal to limits give the controller the Guaranteed QoS class.
		return map[string]any{"cpu": v.ControllerCPU, "memory": v.ControllerMemory}
	}
	return map[string]any{
		"replicas": v.Replicas,
		"serviceAccount": map[string]any{
			"create": true,
			"name":   v.ServiceAccount,
		},
		"settings": map[string]any{
			"clusterName":       v.ClusterName,
			"interruptionQueue": v.InterruptionQueue,
		},
		"controller": map[string]any{
			"resources": map[string]any{"requests": resources(), "limits": resources()},
		},
		"podDisruptionBudget": map[string]any{
			"name":           "karpenter",
			"maxUnavailable": 1,
		},
		"tolerations": []any{
			map[string]any{"key": CriticalAddonsTaintKey, "operator": "Exists"},
		},
		// Helm merges this map into the chart's default affinity, so its pod anti-affinity stays; the list
		// of node selector terms is replaced as a whole, which is why the chart's DoesNotExist is repeated.
		"affinity": map[string]any{
			"nodeAffinity": map[string]any{
				"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{
					"nodeSelectorTerms": []any{
						map[string]any{"matchExpressions": criticalNodeExpressions(v.CriticalNodeSelector)},
					},
				},
			},
		},
	}
}

// criticalNodeExpressions ANDs the critical node labels with the absence of a Karpenter node pool, in a
// stable order so a preview shows no change when nothing changed.
func criticalNodeExpressions(selector map[string]string) []any {
	keys := slices.Sorted(maps.Keys(selector))
	exprs := make([]any, 0, len(keys)+1)
	for _, k := range keys {
		exprs = append(exprs, map[string]any{"key": k, "operator": "In", "values": []any{selector[k]}})
	}
	return append(exprs, map[string]any{"key": NodePoolLabel, "operator": "DoesNotExist"})
}
