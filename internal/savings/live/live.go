// Package live measures a running cluster the way eks-node-viewer shows it — every node with its instance type,
// capacity type, zone, architecture and NodePool, priced — and compares it with the baseline node group the same
// pod requests would need, so that it tells the saving.
package live

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/catalog"
	"github.com/karpenter-savings/karpenter-savings/internal/savings"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/images"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// Labels a node carries, from Karpenter or from an EKS managed node group.
const (
	labelMNGCapacityType = "eks.amazonaws.com/capacityType"
	labelMNGNodeGroup    = "eks.amazonaws.com/nodegroup"
	labelComputeType     = "eks.amazonaws.com/compute-type"
)

// Method explains how a live cluster's saving is split.
const Method = "spot = the on-demand price of every spot node minus what it costs; packing-and-graviton = the rest of " +
	"baseline - live. A running cluster does not show what an all-x86 Karpenter would have picked, so the two are " +
	"not separated here; `savings estimate` separates them."

// Pricer prices a running node.
type Pricer interface {
	// Price returns the hourly USD price of instanceType in zone for capacityType (spot, on-demand or reserved).
	Price(ctx context.Context, instanceType, capacityType, zone string) (float64, error)
	// Prices names the price data.
	Prices() savings.Prices
}

// Options configures a measurement.
type Options struct {
	// Estimate configures the baseline: its instance types and node class settings. Region and Zones are taken
	// from the cluster's nodes.
	Estimate savings.Options
	// Images finds the platforms of the running pods' images. Optional; nil reads none, and the report says nothing
	// of images.
	Images func(ctx context.Context, pods ...[]*corev1.Pod) (*images.Result, error)
}

// Measure lists the cluster's nodes and pods, prices the nodes with pricer (for the region the nodes report), and
// compares them with the baseline scheduled from the same pods' requests. newPricer receives the region.
func Measure(ctx context.Context, kube kubernetes.Interface, cat *catalog.Catalog, newPricer func(ctx context.Context, region string) (Pricer, error), o Options) (*savings.Report, error) {
	nodeList, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("live: list nodes: %w", err)
	}
	podList, err := kube.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("live: list pods: %w", err)
	}
	c, err := read(nodeList.Items, podList.Items)
	if err != nil {
		return nil, err
	}
	pricer, err := newPricer(ctx, c.region)
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	var liveNodes []savings.Node
	var spotSaving float64
	for _, n := range c.nodes {
		price, err := pricer.Price(ctx, n.InstanceType, n.CapacityType, n.Zone)
		if err != nil {
			return nil, fmt.Errorf("live: node %s: %w", n.name, err)
		}
		n.HourlyUSD = price
		liveNodes = append(liveNodes, n.Node)
		if n.CapacityType == karpv1.CapacityTypeSpot {
			od, err := pricer.Price(ctx, n.InstanceType, karpv1.CapacityTypeOnDemand, n.Zone)
			if err != nil {
				return nil, fmt.Errorf("live: node %s: %w", n.name, err)
			}
			spotSaving += od - price
		}
	}

	eo := o.Estimate
	eo.Region, eo.Zones = c.region, c.zones
	base, notes, err := savings.EstimateBaseline(ctx, cat, c.workload, eo)
	if err != nil {
		return nil, fmt.Errorf("live: baseline for the cluster's pods: %w", err)
	}
	// The baseline is placed on snapshot prices; it is priced again with the live pricer so both sides compare.
	baseNodes := make([]savings.Node, len(base.Nodes))
	for i, n := range base.Nodes {
		price, err := pricer.Price(ctx, n.InstanceType, n.CapacityType, n.Zone)
		if err != nil {
			return nil, fmt.Errorf("live: baseline node %s: %w", n.InstanceType, err)
		}
		n.HourlyUSD = price
		baseNodes[i] = n
	}
	liveScenario := savings.NewScenario(savings.Live, liveNodes, "the cluster's nodes as they run now")
	baseScenario := savings.NewScenario(savings.Baseline, baseNodes, base.Note)
	total := baseScenario.HourlyUSD - liveScenario.HourlyUSD
	r := &savings.Report{
		Scenarios: []savings.Scenario{liveScenario, baseScenario},
		Savings: savings.Savings{
			Method: Method,
			Total:  savings.NewAmount(total, baseScenario.HourlyUSD),
			ByCause: []savings.Cause{
				{Cause: savings.CauseSpot, Amount: savings.NewAmount(spotSaving, baseScenario.HourlyUSD)},
				{Cause: savings.CausePackingAndGraviton, Amount: savings.NewAmount(total-spotSaving, baseScenario.HourlyUSD)},
			},
		},
		Prices:   pricer.Prices(),
		Workload: savings.Summarize(c.workload),
		Notes:    append(c.notes, notes...),
	}
	if o.Images != nil {
		res, err := o.Images(ctx, c.workload.Pods, c.workload.DaemonSetPods)
		if err != nil {
			return nil, fmt.Errorf("live: images: %w", err)
		}
		r.Images = &savings.Images{Mode: res.Mode, File: res.File, Images: res.Images, Note: savings.ImagesNote(res)}
		r.Notes = append(r.Notes, c.imageNotes(res)...)
	}
	return r, nil
}

// imageNotes say, from the images' platforms, which workloads running on amd64 could move to arm64 (every image
// read and multi-arch), which their images keep on amd64, and which run on arm64 with an image that offers no
// linux/arm64 (their containers cannot start there, or the registry's answer is out of date). The baseline is
// amd64 throughout, so the images change no figure of a live report; they say what Graviton could still take.
func (c *cluster) imageNotes(res *images.Result) []string {
	// movable counts each workload's pods on amd64 that could run on arm64.
	movable, pinned, wrong := map[workload.Owner]int{}, map[workload.Owner][]string{}, map[workload.Owner][]string{}
	var order []workload.Owner
	seen := map[workload.Owner]bool{}
	for idx, pods := range c.nodePods {
		arch := c.nodes[idx].Arch
		for _, p := range pods {
			o := workload.OwnerOf(p)
			multi, read, none := true, 0, []string(nil)
			var amd64Only []string
			for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
				for _, ctr := range cs {
					img, ok := res.Lookup(ctr.Image)
					if !ok {
						continue
					}
					read++
					multi = multi && img.Status == images.MultiArch
					if !img.Runs(karpv1.ArchitectureArm64) && !slices.Contains(none, ctr.Image) {
						none = append(none, ctr.Image)
					}
					if img.Status == images.AMD64Only && !slices.Contains(amd64Only, ctr.Image) {
						amd64Only = append(amd64Only, ctr.Image)
					}
				}
			}
			if !seen[o] {
				seen[o] = true
				order = append(order, o)
			}
			switch {
			case arch == karpv1.ArchitectureArm64 && len(none) > 0:
				wrong[o] = none
			case len(amd64Only) > 0:
				pinned[o] = amd64Only
			case multi && read > 0 && arch == karpv1.ArchitectureAmd64:
				movable[o]++
			}
		}
	}
	slices.SortFunc(order, func(a, b workload.Owner) int {
		return strings.Compare(a.Kind+" "+a.Namespace+"/"+a.Name, b.Kind+" "+b.Namespace+"/"+b.Name)
	})
	var move, keep, bad []string
	for _, o := range order {
		name := o.Kind + " " + o.Namespace + "/" + o.Name
		if imgs := wrong[o]; imgs != nil {
			bad = append(bad, name+" ("+strings.Join(imgs, ", ")+")")
		}
		if imgs := pinned[o]; imgs != nil {
			keep = append(keep, name+" ("+strings.Join(imgs, ", ")+")")
		}
		if n := movable[o]; n > 0 {
			move = append(move, fmt.Sprintf("%s (%d pods)", name, n))
		}
	}
	var out []string
	if len(move) > 0 {
		out = append(out, "Running on amd64 with every image read and multi-arch, so arm64 nodes could take them (`savings estimate` "+
			"measures what that saves): "+strings.Join(move, ", ")+".")
	}
	if len(keep) > 0 {
		out = append(out, "Kept on amd64 by amd64-only images (a multi-arch build would let them move): "+strings.Join(keep, ", ")+".")
	}
	if len(bad) > 0 {
		out = append(out, "Running on arm64 nodes with an image that offers no linux/arm64: their containers cannot start there "+
			"(exec format error), or the registry's answer is out of date: "+strings.Join(bad, ", ")+".")
	}
	return out
}

// node is one priced node and its name, for errors.
type node struct {
	savings.Node
	name string
}

// cluster is what read makes of the API's nodes and pods.
type cluster struct {
	region   string
	zones    []string
	nodes    []node
	workload *workload.Workload
	// nodePods are the pods of c.workload.Pods each node runs, by index in nodes.
	nodePods map[int][]*corev1.Pod
	notes    []string
}

func read(nodes []corev1.Node, pods []corev1.Pod) (*cluster, error) {
	c := &cluster{workload: &workload.Workload{}, nodePods: map[int][]*corev1.Pod{}}
	regions, zones := map[string]bool{}, map[string]bool{}
	byName := map[string]int{}
	for _, n := range nodes {
		l := n.Labels
		if l[labelComputeType] == "fargate" {
			c.notes = append(c.notes, fmt.Sprintf("node %s is Fargate, which is priced per pod, not per instance; left out", n.Name))
			continue
		}
		it := l[corev1.LabelInstanceTypeStable]
		if it == "" {
			c.notes = append(c.notes, fmt.Sprintf("node %s has no %s label; left out", n.Name, corev1.LabelInstanceTypeStable))
			continue
		}
		ct, err := capacityType(l)
		if err != nil {
			return nil, fmt.Errorf("live: node %s: %w", n.Name, err)
		}
		pool := l[karpv1.NodePoolLabelKey]
		if pool == "" && l[labelMNGNodeGroup] != "" {
			pool = "nodegroup/" + l[labelMNGNodeGroup]
		}
		if r := l[corev1.LabelTopologyRegion]; r != "" {
			regions[r] = true
		}
		zones[l[corev1.LabelTopologyZone]] = true
		byName[n.Name] = len(c.nodes)
		c.nodes = append(c.nodes, node{name: n.Name, Node: savings.Node{
			InstanceType: it, CapacityType: ct, Arch: l[corev1.LabelArchStable],
			Zone: l[corev1.LabelTopologyZone], NodePool: pool,
		}})
	}
	if len(c.nodes) == 0 {
		return nil, errors.New("live: the cluster has no EC2 nodes to measure")
	}
	if len(regions) != 1 {
		return nil, fmt.Errorf("live: want the nodes in one region (label %s), got %v", corev1.LabelTopologyRegion, keys(regions))
	}
	c.region = keys(regions)[0]
	delete(zones, "")
	c.zones = keys(zones)

	daemonSets := map[string]bool{}
	for i := range pods {
		p := &pods[i]
		if p.Spec.NodeName == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		idx, ok := byName[p.Spec.NodeName]
		if !ok {
			continue
		}
		owner := metav1.GetControllerOf(p)
		// Notes name the owner, so that a Deployment's hundred pods make one note, not a hundred.
		ref := "Pod " + p.Namespace + "/" + p.Name
		if owner != nil {
			ref = owner.Kind + " " + p.Namespace + "/" + owner.Name
		}
		switch {
		case owner != nil && owner.Kind == "DaemonSet":
			if key := p.Namespace + "/" + owner.Name; !daemonSets[key] {
				daemonSets[key] = true
				if err := c.addPod(p, ref, true); err != nil {
					return nil, err
				}
			}
		case owner != nil && owner.Kind == "Node":
			// A static pod belongs to its node; the baseline's nodes would run their own.
			continue
		default:
			c.nodes[idx].Pods++
			if err := c.addPod(p, ref, false); err != nil {
				return nil, err
			}
			pods := c.nodePods[idx]
			c.nodePods[idx] = append(pods, c.workload.Pods[len(c.workload.Pods)-1])
		}
	}
	for idx, pods := range c.nodePods {
		c.nodes[idx].Workloads = savings.CountWorkloads(pods)
	}
	sort.Strings(c.notes)
	c.notes = slices.Compact(c.notes)
	return c, nil
}

func (c *cluster) addPod(p *corev1.Pod, ref string, daemon bool) error {
	spec, notes, err := workload.Normalize(ref, p.Spec)
	if err != nil {
		return fmt.Errorf("live: %w", err)
	}
	c.notes = append(c.notes, notes...)
	var owners []metav1.OwnerReference
	if o := metav1.GetControllerOf(p); o != nil {
		owners = []metav1.OwnerReference{workload.RefOf(p, *o)}
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: p.Labels, OwnerReferences: owners},
		Spec:       *spec,
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
	if daemon {
		c.workload.DaemonSetPods = append(c.workload.DaemonSetPods, pod)
	} else {
		c.workload.Pods = append(c.workload.Pods, pod)
	}
	return nil
}

// capacityType reads Karpenter's label, or an EKS managed node group's, which spells it ON_DEMAND or SPOT.
func capacityType(l map[string]string) (string, error) {
	if ct := l[karpv1.CapacityTypeLabelKey]; ct != "" {
		return ct, nil
	}
	switch l[labelMNGCapacityType] {
	case "ON_DEMAND", "":
		// A node with neither label is self-managed; on-demand is the price it most likely pays.
		return karpv1.CapacityTypeOnDemand, nil
	case "SPOT":
		return karpv1.CapacityTypeSpot, nil
	case "CAPACITY_BLOCK":
		return karpv1.CapacityTypeReserved, nil
	}
	return "", fmt.Errorf("unknown %s %q", labelMNGCapacityType, l[labelMNGCapacityType])
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// SnapshotPricer prices nodes from the embedded snapshot: the fallback when no AWS credentials are at hand.
type SnapshotPricer struct {
	cat    *catalog.Catalog
	region string
}

// NewSnapshotPricer prices region from cat.
func NewSnapshotPricer(cat *catalog.Catalog, region string) (*SnapshotPricer, error) {
	if _, err := cat.Offered(region); err != nil {
		return nil, fmt.Errorf("snapshot prices: %w", err)
	}
	return &SnapshotPricer{cat: cat, region: region}, nil
}

// Price returns the snapshot's price; reserved capacity is priced on-demand, an upper bound on what it costs.
func (p *SnapshotPricer) Price(_ context.Context, instanceType, capacityType, _ string) (float64, error) {
	if err := p.cat.Check(p.region, instanceType); err != nil {
		return 0, err
	}
	price, _ := p.cat.Price(p.region, instanceType)
	if capacityType == karpv1.CapacityTypeSpot {
		if price.Spot == 0 {
			return 0, fmt.Errorf("no spot price for %s in %s in the %s snapshot", instanceType, p.region, p.cat.Date())
		}
		return price.Spot, nil
	}
	return price.OnDemand, nil
}

// Prices names the embedded prices: each source of the region's prices (the snapshot, and Karpenter's generated
// on-demand table when laid over it) with its date.
func (p *SnapshotPricer) Prices() savings.Prices {
	prices := savings.NewPrices(p.cat, p.region, time.Now())
	prices.Source = strings.TrimSpace(prices.Source + " (embedded snapshot; no AWS credentials were used)")
	return prices
}
