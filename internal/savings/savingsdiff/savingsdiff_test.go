package savingsdiff_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/savings"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/savingsdiff"
)

func report(nodes ...savings.Node) *savings.Report {
	return &savings.Report{
		Scenarios: []savings.Scenario{savings.NewScenario(savings.Multiarch, nodes, "")},
		Prices:    savings.Prices{Source: "snapshot", Date: "2025-05-28", Region: "us-east-1", Basis: savings.Basis},
	}
}

// node is a spot node of pool and arch running workloads.
func node(pool, arch string, hourly float64, workloads ...savings.WorkloadPods) savings.Node {
	pods := 0
	for _, w := range workloads {
		pods += w.Pods
	}
	return savings.Node{NodePool: pool, Arch: arch, CapacityType: "spot", HourlyUSD: hourly, Pods: pods, Workloads: workloads}
}

func TestCompare(t *testing.T) {
	web := savings.WorkloadPods{Kind: "Deployment", Namespace: "shop", Name: "web", Pods: 2}
	db := savings.WorkloadPods{Kind: "StatefulSet", Namespace: "shop", Name: "db", Pods: 1}
	base := report(node("graviton", "arm64", 0.04, web, db))
	head := report(node("default", "amd64", 0.05, web), node("graviton", "arm64", 0.04, db))
	d, err := savingsdiff.Compare([]string{"w.yaml"}, base, head,
		map[string]string{"p:nodePools": `{"graviton":{"enabled":true,"weight":50}}`, "p:tags": `{"a":"1"}`},
		map[string]string{"p:nodePools": `{"graviton":{"enabled":true,"weight":40}}`, "p:tags": `{"a":"1"}`, "p:new": "x"})
	require.NoError(t, err)
	// $0.04/h → $0.09/h: +$0.05/h, +$36.50 a month, +125%.
	require.Equal(t, savingsdiff.Change{BaseMonthlyUSD: 29.2, HeadMonthlyUSD: 65.7, MonthlyUSD: 36.5, Percent: 125}, d.Change)
	require.Equal(t, []savingsdiff.NodeCount{
		{NodePool: "default", Arch: "amd64", CapacityType: "spot", Base: 0, Head: 1},
		{NodePool: "graviton", Arch: "arm64", CapacityType: "spot", Base: 1, Head: 1},
	}, d.Nodes)
	require.Equal(t, []savingsdiff.Move{{Kind: "Deployment", Namespace: "shop", Name: "web",
		Base: []savingsdiff.Placement{{NodePool: "graviton", Arch: "arm64", CapacityType: "spot", Pods: 2}},
		Head: []savingsdiff.Placement{{NodePool: "default", Arch: "amd64", CapacityType: "spot", Pods: 2}},
	}}, d.Moved, "db stayed where it was")
	require.Equal(t, []savingsdiff.ConfigChange{
		{Key: "p:new", Base: "", Head: "x"},
		{Key: "p:nodePools.graviton.weight", Base: "50", Head: "40"},
	}, d.ConfigChanges)
	require.True(t, d.Exceeds(100))
	require.False(t, d.Exceeds(125))
}

func TestMarkdownStaysWithinGitHubsCommentLimit(t *testing.T) {
	var base, head []savings.Node
	for i := range 3000 {
		w := savings.WorkloadPods{Kind: "Deployment", Namespace: "ns", Name: fmt.Sprintf("workload-with-a-long-name-%04d", i), Pods: 1}
		base = append(base, node("graviton", "arm64", 0.01, w))
		head = append(head, node("default", "amd64", 0.02, w))
	}
	d, err := savingsdiff.Compare([]string{"w.yaml"}, report(base...), report(head...), nil, nil)
	require.NoError(t, err)
	require.Len(t, d.Moved, 3000)
	var md bytes.Buffer
	require.NoError(t, d.WriteMarkdown(&md))
	require.LessOrEqual(t, md.Len(), savingsdiff.MaxCommentBytes)
	// 3000 nodes at $0.01/h, then at $0.02/h: $21,900 and $43,800 a month.
	require.True(t, strings.HasPrefix(md.String(), savingsdiff.CommentMarker+"\n### Savings estimate: multiarch scenario, steady state: $21900.00/month → $43800.00/month (+$21900.00, +100.00%)"))
	require.Contains(t, md.String(), "exceed GitHub's comment size")
}

// A diff compares steady states: a head whose first scale-up costs more than the base's but which consolidates
// to less is a saving, and the node counts are those of the steady state.
func TestCompareUsesTheSteadyState(t *testing.T) {
	web := savings.WorkloadPods{Kind: "Deployment", Namespace: "shop", Name: "web", Pods: 2}
	base := report(node("graviton", "arm64", 0.04, web))
	head := report(node("graviton", "arm64", 0.05, web), node("graviton", "arm64", 0.05))
	steady := savings.NewScenario(savings.Multiarch, []savings.Node{node("graviton", "arm64", 0.03, web)}, "")
	head.Scenarios[0].Consolidated = &savings.SteadyState{HourlyUSD: steady.HourlyUSD, MonthlyUSD: steady.MonthlyUSD, Nodes: steady.Nodes}
	d, err := savingsdiff.Compare([]string{"w.yaml"}, base, head, nil, nil)
	require.NoError(t, err)
	// $0.04/h and $0.03/h: $29.20 and $21.90 a month.
	require.Equal(t, savingsdiff.Change{BaseMonthlyUSD: 29.2, HeadMonthlyUSD: 21.9, MonthlyUSD: -7.3, Percent: -25}, d.Change)
	require.Equal(t, []savingsdiff.NodeCount{{NodePool: "graviton", Arch: "arm64", CapacityType: "spot", Base: 1, Head: 1}}, d.Nodes)
}
