package savings

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// The objects of the input that place no pod reach both reports: the JSON lists each with the reason, the table
// counts them by kind in one line.
func TestReportsSayWhatTheInputIgnored(t *testing.T) {
	manifests := deployment("web", 2, "500m", "1Gi", "") + `---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, namespace: shop}
`
	r := estimate(t, smallCatalog(t), manifests, options(t))

	raw, err := json.Marshal(r)
	require.NoError(t, err)
	var doc struct {
		Workload struct {
			Ignored []workload.Ignored `json:"ignored"`
		} `json:"workload"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Equal(t, []workload.Ignored{
		{Kind: "Service", Name: "web", Why: "places no pod"},
		{Kind: "ConfigMap", Name: "a", Why: "places no pod"},
		{Kind: "ConfigMap", Namespace: "shop", Name: "b", Why: "places no pod"},
	}, doc.Workload.Ignored)

	var b bytes.Buffer
	require.NoError(t, WriteTable(&b, r))
	require.Contains(t, b.String(), "Ignored (no pods of their own): 2 ConfigMap, 1 Service; --json lists each with the reason.\n")
}

// The preference's fragment is written for spec.template; a CronJob's template and a bare Pod's spec sit elsewhere.
func TestPreferArm64PlacementNamesWhereTheFragmentGoes(t *testing.T) {
	notes := preferArm64Placement([]workload.Owner{
		{Kind: "Deployment", Namespace: "shop", Name: "web"},
		{Kind: "CronJob", Namespace: "shop", Name: "report"},
		{Kind: "Pod", Namespace: "tools", Name: "debug"},
	})
	require.Equal(t, []string{
		"For CronJob shop/report, the preference's spec.template goes under spec.jobTemplate.spec.",
		"For Pod tools/debug, the preference's spec.template.spec.affinity goes in the Pod's own spec.",
	}, notes)
}

// Issue 29's "arm64 OR instance-family m6i": the second term keeps no expression the estimate reads, so the
// requirement is left out as a whole and the pods run on either architecture. Narrowed to its first term, they would
// be arm64-only and fit neither the baseline's m6i.large node group nor the lab's amd64 default pool.
func TestORedNodeAffinityIsEstimatedOnBothArchitectures(t *testing.T) {
	const affinity = `affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [arm64]}]
            - matchExpressions: [{key: karpenter.k8s.aws/instance-family, operator: In, values: [m6i]}]`
	r := estimate(t, smallCatalog(t), deployment("either", 4, "1", "2Gi", affinity), options(t))
	require.True(t, slices.ContainsFunc(r.Notes, func(n string) bool {
		return strings.Contains(n, "Deployment default/either: required node affinity ignored as a whole: its term 2")
	}), "expected a note saying the requirement is left out, got %v", r.Notes)
	for _, name := range []string{Baseline, LabDefault, Multiarch} {
		s := mustScenario(t, r, name)
		pods, archs := 0, map[string]int{}
		for _, n := range s.Steady().Nodes {
			pods += n.Pods
			archs[n.Arch] += n.Pods
		}
		require.Equal(t, 4, pods, "expected every pod placed in %s", name)
		if name != Multiarch {
			require.Equal(t, map[string]int{"amd64": 4}, archs, "expected %s's amd64 capacity to run the pods", name)
		}
	}
}
