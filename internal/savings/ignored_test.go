package savings

import (
	"bytes"
	"encoding/json"
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
