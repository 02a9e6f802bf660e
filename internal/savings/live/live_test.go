package live

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/program/poolspec"
	"github.com/karpenter-savings/karpenter-savings/internal/savings"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/images"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/pricetable"
)

// A cluster as the stack runs it: the critical-addons managed node group (spot t4g.medium), a Graviton spot node
// and an amd64 on-demand node from Karpenter, and a Fargate node.
func labCluster() []runtime.Object {
	node := func(name string, labels map[string]string) *corev1.Node {
		l := map[string]string{corev1.LabelTopologyRegion: "us-east-1", corev1.LabelOSStable: "linux"}
		for k, v := range labels {
			l[k] = v
		}
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}}
	}
	pod := func(ns, name, nodeName string, cpu, memory string, phase corev1.PodPhase, owner *metav1.OwnerReference) *corev1.Pod {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": name}},
			Spec: corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory)},
			}}}},
			Status: corev1.PodStatus{Phase: phase},
		}
		if owner != nil {
			p.OwnerReferences = []metav1.OwnerReference{*owner}
			if owner.Kind == "ReplicaSet" {
				p.Labels["pod-template-hash"] = "5d9f"
			}
		}
		return p
	}
	controller := true
	ds := &metav1.OwnerReference{APIVersion: "apps/v1", Kind: "DaemonSet", Name: "aws-node", Controller: &controller}
	// A Deployment's ReplicaSet is named after the Deployment and the pod-template-hash label its pods carry.
	rs := func(deployment string) *metav1.OwnerReference {
		return &metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: deployment + "-5d9f", Controller: &controller}
	}
	mirror := &metav1.OwnerReference{APIVersion: "v1", Kind: "Node", Name: "ip-10-42-1-10", Controller: &controller}
	return []runtime.Object{
		node("ip-10-42-1-10", map[string]string{
			corev1.LabelInstanceTypeStable: "t4g.medium", corev1.LabelArchStable: "arm64", corev1.LabelTopologyZone: "us-east-1a",
			"eks.amazonaws.com/capacityType": "SPOT", "eks.amazonaws.com/nodegroup": "critical-addons-only",
		}),
		node("ip-10-42-2-20", map[string]string{
			corev1.LabelInstanceTypeStable: "m7g.xlarge", corev1.LabelArchStable: "arm64", corev1.LabelTopologyZone: "us-east-1c",
			karpv1.CapacityTypeLabelKey: "spot", karpv1.NodePoolLabelKey: poolspec.Graviton,
		}),
		node("ip-10-42-3-30", map[string]string{
			corev1.LabelInstanceTypeStable: "c6i.large", corev1.LabelArchStable: "amd64", corev1.LabelTopologyZone: "us-east-1a",
			karpv1.CapacityTypeLabelKey: "on-demand", karpv1.NodePoolLabelKey: poolspec.Default,
		}),
		node("fargate-ip-10-42-4-40", map[string]string{"eks.amazonaws.com/compute-type": "fargate", corev1.LabelTopologyZone: "us-east-1a"}),

		pod("kube-system", "coredns-1", "ip-10-42-1-10", "100m", "70Mi", corev1.PodRunning, rs("coredns")),
		pod("kube-system", "karpenter-1", "ip-10-42-1-10", "1", "1Gi", corev1.PodRunning, rs("karpenter")),
		pod("kube-system", "aws-node-a", "ip-10-42-1-10", "25m", "64Mi", corev1.PodRunning, ds),
		pod("kube-system", "aws-node-b", "ip-10-42-2-20", "25m", "64Mi", corev1.PodRunning, ds),
		pod("kube-system", "aws-node-c", "ip-10-42-3-30", "25m", "64Mi", corev1.PodRunning, ds),
		pod("kube-system", "kube-proxy-static", "ip-10-42-1-10", "100m", "64Mi", corev1.PodRunning, mirror),
		pod("ui", "ui-1", "ip-10-42-2-20", "128m", "512Mi", corev1.PodRunning, rs("ui")),
		pod("ui", "ui-2", "ip-10-42-2-20", "128m", "512Mi", corev1.PodRunning, rs("ui")),
		pod("catalog", "catalog-1", "ip-10-42-2-20", "128m", "256Mi", corev1.PodRunning, rs("catalog")),
		pod("orders", "orders-1", "ip-10-42-3-30", "128m", "512Mi", corev1.PodRunning, rs("orders")),
		pod("batch", "done-1", "ip-10-42-3-30", "2", "4Gi", corev1.PodSucceeded, nil),
		pod("ui", "pending-1", "", "128m", "512Mi", corev1.PodPending, rs("ui")),
	}
}

func snapshotPricers(cat *catalog.Catalog) func(context.Context, string) (Pricer, error) {
	return func(_ context.Context, region string) (Pricer, error) { return NewSnapshotPricer(cat, region) }
}

func options() Options {
	return Options{Estimate: savings.Options{Pools: poolspec.Options{
		ClusterName: "cluster-with-karpenter", NodeRoleName: "KarpenterNodeRole-cluster-with-karpenter",
		DiscoveryTagKey: "karpenter.sh/discovery/cluster-with-karpenter", AMIAlias: "al2023@latest",
		Default: poolspec.PoolSpec{Enabled: true, Weight: 10, CapacityTypes: []string{"spot"}, CPULimit: "16", MemoryLimit: "32Gi"},
	}}}
}

func load(t *testing.T) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load()
	require.NoError(t, err)
	return cat
}

func TestMeasureReadsEveryEC2Node(t *testing.T) {
	cat := load(t)
	r, err := Measure(context.Background(), fake.NewClientset(labCluster()...), cat, snapshotPricers(cat), options())
	require.NoError(t, err)
	liveScenario, ok := r.Scenario(savings.Live)
	require.True(t, ok, "expected a live scenario")

	price := func(it, ct string) float64 {
		p, ok := cat.Price("us-east-1", it)
		require.True(t, ok, "expected %s priced", it)
		if ct == karpv1.CapacityTypeSpot {
			return p.Spot
		}
		return p.OnDemand
	}
	deployment := func(ns, name string, pods int) savings.WorkloadPods {
		return savings.WorkloadPods{Kind: "Deployment", Namespace: ns, Name: name, Pods: pods}
	}
	want := []savings.Node{
		{InstanceType: "t4g.medium", CapacityType: "spot", Arch: "arm64", Zone: "us-east-1a", Pods: 2, HourlyUSD: price("t4g.medium", "spot"), NodePool: "nodegroup/critical-addons-only",
			Workloads: []savings.WorkloadPods{deployment("kube-system", "coredns", 1), deployment("kube-system", "karpenter", 1)}},
		{InstanceType: "m7g.xlarge", CapacityType: "spot", Arch: "arm64", Zone: "us-east-1c", Pods: 3, HourlyUSD: price("m7g.xlarge", "spot"), NodePool: poolspec.Graviton,
			Workloads: []savings.WorkloadPods{deployment("catalog", "catalog", 1), deployment("ui", "ui", 2)}},
		{InstanceType: "c6i.large", CapacityType: "on-demand", Arch: "amd64", Zone: "us-east-1a", Pods: 1, HourlyUSD: price("c6i.large", "on-demand"), NodePool: poolspec.Default,
			Workloads: []savings.WorkloadPods{deployment("orders", "orders", 1)}},
	}
	require.Equal(t, want, liveScenario.Nodes, "expected the three EC2 nodes with their labels, running pods by Deployment (from the ReplicaSets' names) and snapshot prices")
	require.InDelta(t, want[0].HourlyUSD+want[1].HourlyUSD+want[2].HourlyUSD, liveScenario.HourlyUSD, 1e-6)

	// Running pods are re-scheduled, one pod per DaemonSet; static, finished and pending pods are not.
	require.Equal(t, 6, r.Workload.Pods, "expected coredns, karpenter, 2 ui, catalog and orders")
	require.Equal(t, 1, r.Workload.DaemonSets, "expected aws-node once")
	require.InDelta(t, 0.1+1+0.128*4, r.Workload.VCPU, 1e-6)
	require.InDelta(t, (70+1024+512*3+256)/1024.0, r.Workload.MemoryGiB, 1e-6)
	require.Contains(t, r.Prices.Source, "embedded snapshot", "expected the report to say it used the snapshot")
	require.Contains(t, r.Notes, "node fargate-ip-10-42-4-40 is Fargate, which is priced per pod, not per instance; left out")
}

func TestMeasureComparesWithTheBaselineAndSplitsTheSaving(t *testing.T) {
	cat := load(t)
	r, err := Measure(context.Background(), fake.NewClientset(labCluster()...), cat, snapshotPricers(cat), options())
	require.NoError(t, err)
	liveScenario, _ := r.Scenario(savings.Live)
	base, ok := r.Scenario(savings.Baseline)
	require.True(t, ok, "expected a baseline scenario")
	for _, n := range base.Nodes {
		require.Equal(t, savings.DefaultBaselineType, n.InstanceType, "expected the baseline node group's type")
		require.Equal(t, karpv1.CapacityTypeOnDemand, n.CapacityType)
	}
	require.InDelta(t, base.HourlyUSD-liveScenario.HourlyUSD, r.Savings.Total.HourlyUSD, 1e-6)

	spot, ok := r.Savings.Cause(savings.CauseSpot)
	require.True(t, ok, "expected a spot cause")
	var wantSpot float64
	for _, name := range []string{"t4g.medium", "m7g.xlarge"} {
		p, _ := cat.Price("us-east-1", name)
		wantSpot += p.OnDemand - p.Spot
	}
	require.InDelta(t, wantSpot, spot.HourlyUSD, 1e-6, "expected spot = on-demand - spot price over the spot nodes")
	rest, ok := r.Savings.Cause(savings.CausePackingAndGraviton)
	require.True(t, ok, "expected the remainder cause")
	require.InDelta(t, r.Savings.Total.HourlyUSD, spot.HourlyUSD+rest.HourlyUSD, 1e-6, "expected the causes to add up")
}

// fixedPricer charges the same for every node, to show which prices Measure uses.
type fixedPricer struct{ price float64 }

func (p fixedPricer) Price(context.Context, string, string, string) (float64, error) {
	return p.price, nil
}

func (p fixedPricer) Prices() savings.Prices {
	return savings.Prices{Source: "fixed", Date: "2030-01-01", Region: "us-east-1", Basis: savings.Basis}
}

func TestMeasurePricesBothSidesWithTheGivenPricer(t *testing.T) {
	var region string
	r, err := Measure(context.Background(), fake.NewClientset(labCluster()...), load(t),
		func(_ context.Context, reg string) (Pricer, error) { region = reg; return fixedPricer{price: 1}, nil }, options())
	require.NoError(t, err)
	require.Equal(t, "us-east-1", region, "expected the pricer for the nodes' region")
	liveScenario, _ := r.Scenario(savings.Live)
	base, _ := r.Scenario(savings.Baseline)
	require.InDelta(t, 3.0, liveScenario.HourlyUSD, 1e-9, "expected three nodes at $1")
	require.InDelta(t, float64(len(base.Nodes)), base.HourlyUSD, 1e-9, "expected the baseline priced at $1 a node too")
	require.Equal(t, "fixed", r.Prices.Source)
}

func TestMeasureErrors(t *testing.T) {
	cat := load(t)
	withNode := func(labels map[string]string) []runtime.Object {
		return []runtime.Object{&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: labels}}}
	}
	for _, tc := range []struct {
		name      string
		objects   []runtime.Object
		newPricer func(context.Context, string) (Pricer, error)
		want      string
	}{
		{"no nodes", nil, snapshotPricers(cat), "no EC2 nodes"},
		{"nodes in two regions", append(withNode(map[string]string{corev1.LabelInstanceTypeStable: "m6i.large", corev1.LabelTopologyRegion: "us-east-1"}),
			&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n2", Labels: map[string]string{corev1.LabelInstanceTypeStable: "m6i.large", corev1.LabelTopologyRegion: "eu-west-1"}}}),
			snapshotPricers(cat), "one region"},
		{"unknown managed node group capacity type", withNode(map[string]string{corev1.LabelInstanceTypeStable: "m6i.large", corev1.LabelTopologyRegion: "us-east-1", "eks.amazonaws.com/capacityType": "SOMETIMES"}),
			snapshotPricers(cat), `unknown eks.amazonaws.com/capacityType "SOMETIMES"`},
		{"instance type the snapshot does not know", withNode(map[string]string{corev1.LabelInstanceTypeStable: "m99z.large", corev1.LabelTopologyRegion: "us-east-1"}),
			snapshotPricers(cat), `unknown instance type "m99z.large"`},
		{"pricer fails", withNode(map[string]string{corev1.LabelInstanceTypeStable: "m6i.large", corev1.LabelTopologyRegion: "us-east-1"}),
			func(context.Context, string) (Pricer, error) { return nil, errors.New("no prices today") }, "no prices today"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Measure(context.Background(), fake.NewClientset(tc.objects...), cat, tc.newPricer, options())
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestSnapshotPricer(t *testing.T) {
	cat := load(t)
	p, err := NewSnapshotPricer(cat, "us-east-1")
	require.NoError(t, err)
	want, _ := cat.Price("us-east-1", "m6i.large")
	for _, tc := range []struct {
		capacityType string
		want         float64
	}{
		{karpv1.CapacityTypeOnDemand, want.OnDemand},
		{karpv1.CapacityTypeSpot, want.Spot},
		{karpv1.CapacityTypeReserved, want.OnDemand},
	} {
		got, err := p.Price(context.Background(), "m6i.large", tc.capacityType, "us-east-1a")
		require.NoError(t, err)
		require.InDelta(t, tc.want, got, 1e-9, "capacity type %s", tc.capacityType)
	}
	_, err = NewSnapshotPricer(cat, "mars-north-1")
	require.ErrorContains(t, err, "mars-north-1")
}

// Without current prices, live prices as estimate does: on-demand from Karpenter's generated table laid over the
// snapshot, and its report names both sources with their dates.
func TestSnapshotPricerNamesEachSource(t *testing.T) {
	laid, err := pricetable.Overlay(load(t), "us-east-1")
	require.NoError(t, err)
	p, err := NewSnapshotPricer(laid, "us-east-1")
	require.NoError(t, err)
	want, _ := laid.Price("us-east-1", "p5.48xlarge")
	got, err := p.Price(context.Background(), "p5.48xlarge", karpv1.CapacityTypeOnDemand, "us-east-1a")
	require.NoError(t, err)
	require.Equal(t, want.OnDemand, got, "expected the on-demand price laid over the snapshot")
	sources := map[string]string{}
	for _, s := range p.Prices().Sources {
		sources[s.CapacityType+" "+s.ID] = s.Date
	}
	require.Equal(t, map[string]string{"on-demand " + pricetable.Tables[0].ID: pricetable.Tables[0].Date, "spot snapshot": "2025-05-28"}, sources)
	require.Contains(t, p.Prices().Source, "embedded snapshot")
}

func TestImagesSayWhichRunningWorkloadsCouldMoveToArm64(t *testing.T) {
	objs := labCluster()
	platforms := map[string][]string{
		"coredns:1": {"linux/amd64", "linux/arm64"}, "karpenter:1": {"linux/amd64", "linux/arm64"},
		"aws-node:1": {"linux/amd64", "linux/arm64"}, "ui:1": {"linux/amd64", "linux/arm64"},
		"orders:1":  {"linux/amd64", "linux/arm64"}, // on the amd64 node, and arm64 could take it
		"catalog:1": {"linux/amd64"},                // on a Graviton node: it cannot start there
		"legacy:1":  {"linux/amd64"},                // on the amd64 node, kept there by its image
	}
	controller := true
	legacy := objs[len(objs)-1].(*corev1.Pod).DeepCopy()
	legacy.Namespace, legacy.Name, legacy.Spec.NodeName, legacy.Status.Phase = "billing", "legacy-1", "ip-10-42-3-30", corev1.PodRunning
	legacy.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "legacy-5d9f", Controller: &controller}}
	objs = append(objs, legacy)
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok {
			// Each workload runs the image named after it: its owner's name, less the ReplicaSet's hash.
			name := p.Name
			if len(p.OwnerReferences) > 0 {
				name = strings.TrimSuffix(p.OwnerReferences[0].Name, "-5d9f")
			}
			p.Spec.Containers[0].Image = name + ":1"
		}
	}
	var asked []string
	o := options()
	o.Images = func(_ context.Context, pods ...[]*corev1.Pod) (*images.Result, error) {
		asked = images.Refs(pods...)
		r := &images.Result{Mode: images.ModeFile, File: "cluster.images.json"}
		for _, ref := range asked {
			img, err := images.FromFile(writeImages(t, map[string][]string{ref: platforms[ref]}), []string{ref})
			require.NoError(t, err, ref)
			r.Images = append(r.Images, img.Images...)
		}
		return r, nil
	}
	cat := load(t)
	r, err := Measure(context.Background(), fake.NewClientset(objs...), cat, snapshotPricers(cat), o)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"aws-node:1", "catalog:1", "coredns:1", "karpenter:1", "legacy:1", "orders:1", "ui:1"}, asked,
		"the running pods' images are read, static and finished pods' are not")
	require.NotNil(t, r.Images)
	require.Len(t, r.Images.Images, 7)
	require.Nil(t, r.Images.Graviton, "a live report has no Graviton split")
	notes := strings.Join(r.Notes, "\n")
	require.Contains(t, notes, "so arm64 nodes could take them (`savings estimate` measures what that saves): Deployment orders/orders (1 pods).")
	require.Contains(t, notes, "Kept on amd64 by amd64-only images (a multi-arch build would let them move): Deployment billing/legacy (legacy:1).")
	require.Contains(t, notes, "Running on arm64 nodes with an image that offers no linux/arm64")
	require.Contains(t, notes, "Deployment catalog/catalog (catalog:1)")
}

// writeImages writes an images file and returns its path.
func writeImages(t *testing.T, platforms map[string][]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "images.json")
	require.NoError(t, images.WriteFile(path, platforms))
	return path
}
