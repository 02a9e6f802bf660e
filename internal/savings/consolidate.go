package savings

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	"github.com/awslabs/operatorpkg/status"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"
	testingclock "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	fakeclient "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/cloudprovider"
	"sigs.k8s.io/karpenter/pkg/controllers/disruption"
	"sigs.k8s.io/karpenter/pkg/controllers/provisioning"
	karpscheduling "sigs.k8s.io/karpenter/pkg/controllers/provisioning/scheduling"
	"sigs.k8s.io/karpenter/pkg/controllers/state"
	"sigs.k8s.io/karpenter/pkg/events"
	"sigs.k8s.io/karpenter/pkg/utils/pdb"
)

// KarpenterVersion is the version of sigs.k8s.io/karpenter, Karpenter's core, that this tool links; a test keeps it
// equal to the linked module's. It is not the release's version: karpenter-provider-aws v1.14.4 requires the core at
// v1.14.3 (its go.mod), so the disruption code is v1.14.3's.
const KarpenterVersion = "v1.14.3"

// ConsolidationRules says which of Karpenter's disruption rules the steady state follows; the report carries it.
const ConsolidationRules = "Steady state: the disruption methods of Karpenter's core, sigs.k8s.io/karpenter " + KarpenterVersion + " (pkg/controllers/disruption " +
	"NewMethods: emptiness, drift, multi-node and single-node consolidation, each with its validator) run on the estimate's nodes " +
	"until none finds a command, within each pool's consolidationPolicy and disruption budgets. " +
	"Spot-to-spot consolidation is off, the default of the SpotToSpotConsolidation feature gate that this stack's Karpenter chart keeps: " +
	"spot nodes alone are only deleted, when their pods fit elsewhere; a cheaper replacement needs an on-demand node among the candidates. " +
	"Offline, the steps a cluster runs between a command and the next are not run but carried out directly: the queue's orchestration " +
	"(taint, launch, drain, delete) is replaced by moving each pod where the command's scheduling simulation put it, and the 15 s " +
	"validation wait passes on a virtual clock. " +
	"PodDisruptionBudgets and karpenter.sh/do-not-disrupt pod annotations are read by Karpenter's own candidate checks: " +
	"each budget sits in the offline API server with the status kube-controller-manager's disruption controller would give it " +
	"once every pod of the workload runs and is ready (disruptionsAllowed from minAvailable or maxUnavailable, percentages scaled on the " +
	"controllers' replicas), computed over the whole workload even when a pass holds one shard of it; a node that runs a pod under a budget " +
	"that allows no disruption, or a pod annotated \"true\", is kept. A duration-valued annotation has passed at the steady state; " +
	"DaemonSet pods are not placed on the nodes, so budgets and annotations of DaemonSets are not followed (the notes say when)."

// podsStarted is when the offline cluster's pods started: years before its clock, so that a do-not-disrupt
// annotation with a duration ("30m"), which protects a pod only that long after it starts, has passed, as it has
// at a steady state.
var podsStarted = metav1.NewTime(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))

// maxCommandsPerNode bounds the consolidation loop: every command removes at least one node or replaces nodes by
// cheaper ones, so a loop that runs longer than this per node has gone wrong.
const maxCommandsPerNode = 4

// consolidate puts the pass's nodes and pods into an offline cluster, as Karpenter's state would see them once the
// nodes have registered and initialized and have been idle longer than consolidateAfter, then runs Karpenter's
// disruption methods in the controller's order until none finds a command. The budgets are the workload's
// PodDisruptionBudgets with the status disruptionBudgets gives them, which Karpenter's code lists from the offline
// API server, as it lists them from a cluster's. It returns the nodes that remain.
func consolidate(ctx context.Context, p pass, daemonSetPods []*corev1.Pod, budgets []*policyv1.PodDisruptionBudget) ([]placement, error) {
	ctx = schedulerContext(ctx)
	c, err := newOfflineCluster(ctx, p, daemonSetPods, budgets)
	if err != nil {
		return nil, err
	}
	for _, pl := range p.placed {
		if _, err := c.add(ctx, pl); err != nil {
			return nil, err
		}
	}
	methods := disruption.NewMethods(c.clk, c.state, c.kube, c.provisioner, c.cloud, c.recorder, c.queue)
	for range maxCommandsPerNode*len(p.placed) + 1 {
		cmds, err := c.next(ctx, methods)
		if err != nil {
			return nil, err
		}
		if len(cmds) == 0 {
			return c.placements(ctx)
		}
		for _, cmd := range cmds {
			if err := c.execute(ctx, cmd); err != nil {
				return nil, err
			}
		}
	}
	return nil, fmt.Errorf("consolidation did not settle after %d commands", maxCommandsPerNode*len(p.placed)+1)
}

// offlineCluster is a cluster in memory: a fake API server holding the NodePools, NodeClaims, Nodes, Pods and
// DaemonSets, Karpenter's cluster state fed from it, and a cloud provider that answers with the estimate's
// instance types.
type offlineCluster struct {
	kube        client.Client
	state       *state.Cluster
	clk         *virtualClock
	cloud       *offlineCloud
	provisioner *provisioning.Provisioner
	recorder    events.Recorder
	queue       *disruption.Queue
	nodes       map[string]*offlineNode // by node name
	launched    int
	// podNames are the pods' keys, so that two pods of the same name (a manifest read twice, a Deployment and a Job
	// of one name) get apart names, as an API server would require.
	podNames map[types.NamespacedName]bool
}

type offlineNode struct {
	placement
	pods map[types.NamespacedName]*corev1.Pod
}

func newOfflineCluster(ctx context.Context, p pass, daemonSetPods []*corev1.Pod, budgets []*policyv1.PodDisruptionBudget) (*offlineCluster, error) {
	c := &offlineCluster{nodes: map[string]*offlineNode{}, podNames: map[types.NamespacedName]bool{}}
	kube := fakeclient.NewClientBuilder().
		// The plain object tracker: the default one also tracks managed fields, which costs a REST mapper per write.
		WithObjectTracker(k8stesting.NewObjectTracker(scheme.Scheme, scheme.Codecs.UniversalDecoder())).
		// Pods are listed from the cluster's own record of them (see listPods); the fake client serializes every
		// pod on each list, and Karpenter lists a node's pods for every candidate it weighs.
		WithInterceptorFuncs(interceptor.Funcs{List: c.listPods}).
		// The field indexes Karpenter's operator registers (sigs.k8s.io/karpenter/pkg/operator, NewOperator).
		WithIndex(&corev1.Pod{}, "spec.nodeName", func(o client.Object) []string { return []string{o.(*corev1.Pod).Spec.NodeName} }).
		WithIndex(&corev1.Node{}, "spec.providerID", func(o client.Object) []string { return []string{o.(*corev1.Node).Spec.ProviderID} }).
		WithIndex(&storagev1.VolumeAttachment{}, "spec.nodeName", func(o client.Object) []string {
			return []string{o.(*storagev1.VolumeAttachment).Spec.NodeName}
		}).
		WithIndex(&karpv1.NodeClaim{}, "status.providerID", func(o client.Object) []string {
			return []string{o.(*karpv1.NodeClaim).Status.ProviderID}
		}).
		Build()
	clk := &virtualClock{FakeClock: testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	cloud := &offlineCloud{its: p.its}
	cluster := state.NewCluster(clk, kube, cloud)
	recorder := events.NewRecorder(&record.FakeRecorder{})
	prov := provisioning.NewProvisioner(kube, recorder, cloud, cluster, clk, nil, nil)
	c.kube, c.state, c.clk, c.cloud, c.provisioner, c.recorder = kube, cluster, clk, cloud, prov, recorder
	c.queue = disruption.NewQueue(kube, recorder, cluster, clk, prov)
	for _, np := range p.nodePools {
		np = np.DeepCopy()
		np.StatusConditions().SetTrue(karpv1.ConditionTypeValidationSucceeded)
		np.StatusConditions().SetTrue(karpv1.ConditionTypeNodeClassReady)
		np.StatusConditions().SetTrue(karpv1.ConditionTypeNodeRegistrationHealthy)
		if err := kube.Create(ctx, np); err != nil {
			return nil, fmt.Errorf("NodePool %s: %w", np.Name, err)
		}
	}
	for _, b := range budgets {
		b = b.DeepCopy()
		b.ResourceVersion = ""
		if err := kube.Create(ctx, b); err != nil {
			return nil, fmt.Errorf("PodDisruptionBudget %s/%s: %w", b.Namespace, b.Name, err)
		}
	}
	for _, p := range daemonSetPods {
		ds := &appsv1.DaemonSet{
			ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
			Spec: appsv1.DaemonSetSpec{
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: p.Labels}, Spec: *p.Spec.DeepCopy()},
			},
		}
		if err := kube.Create(ctx, ds); err != nil {
			return nil, fmt.Errorf("DaemonSet %s/%s: %w", p.Namespace, p.Name, err)
		}
		if err := cluster.UpdateDaemonSet(ctx, ds); err != nil {
			return nil, fmt.Errorf("DaemonSet %s/%s: %w", p.Namespace, p.Name, err)
		}
	}
	return c, nil
}

// add registers a launched node as Karpenter would find it once it has initialized (its NodeClaim and Node with the
// labels the AWS provider and registration put on them, and its pods bound and running), and returns its name.
func (c *offlineCluster) add(ctx context.Context, pl placement) (string, error) {
	c.launched++
	name := fmt.Sprintf("%s-%d", pl.node.NodePool, c.launched)
	providerID := fmt.Sprintf("aws:///%s/i-%017d", pl.node.Zone, c.launched)
	claim := pl.claim.ToNodeClaim()
	claim.Name = name
	labels := map[string]string{}
	for k, v := range claim.Labels {
		labels[k] = v
	}
	// The AWS provider labels a NodeClaim with its instance type's single-valued requirements, its zone and its
	// capacity type (karpenter-provider-aws pkg/cloudprovider, instanceToNodeClaim); the template's labels win
	// (sigs.k8s.io/karpenter pkg/controllers/nodeclaim/lifecycle, PopulateNodeClaimDetails), and registration copies
	// them all onto the node.
	for _, r := range pl.it.Requirements {
		if r.Len() == 1 && claim.Labels[r.Key] == "" {
			labels[r.Key] = r.Values()[0]
		}
	}
	labels[corev1.LabelTopologyZone] = pl.node.Zone
	labels[karpv1.CapacityTypeLabelKey] = pl.node.CapacityType
	labels[corev1.LabelInstanceTypeStable] = pl.it.Name
	labels[corev1.LabelHostname] = name
	labels[karpv1.NodeRegisteredLabelKey] = "true"
	labels[karpv1.NodeInitializedLabelKey] = "true"
	claim.Labels = labels
	past := metav1.NewTime(c.clk.Now().Add(-time.Hour))
	claim.CreationTimestamp = past
	claim.Status = karpv1.NodeClaimStatus{
		ProviderID: providerID, NodeName: name, Capacity: pl.it.Capacity, Allocatable: pl.it.Allocatable(),
		LastPodEventTime: past,
	}
	for _, t := range []string{karpv1.ConditionTypeLaunched, karpv1.ConditionTypeRegistered, karpv1.ConditionTypeInitialized, karpv1.ConditionTypeConsolidatable} {
		claim.StatusConditions().SetTrue(t)
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, CreationTimestamp: past},
		Spec:       corev1.NodeSpec{ProviderID: providerID, Taints: claim.Spec.Taints},
		Status: corev1.NodeStatus{
			Capacity: pl.it.Capacity, Allocatable: pl.it.Allocatable(),
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
		},
	}
	if err := c.kube.Create(ctx, claim); err != nil {
		return "", fmt.Errorf("NodeClaim %s: %w", name, err)
	}
	if err := c.kube.Create(ctx, node); err != nil {
		return "", fmt.Errorf("Node %s: %w", name, err)
	}
	c.state.UpdateNodeClaim(claim)
	if err := c.state.UpdateNode(ctx, node); err != nil {
		return "", fmt.Errorf("Node %s: %w", name, err)
	}
	n := &offlineNode{placement: pl, pods: map[types.NamespacedName]*corev1.Pod{}}
	c.nodes[name] = n
	for _, p := range pl.claim.Pods {
		pod := p.DeepCopy()
		pod.ResourceVersion = ""
		pod.Spec.NodeName = name
		if c.podNames[client.ObjectKeyFromObject(pod)] {
			pod.Name += "-" + string(pod.UID)
		}
		c.podNames[client.ObjectKeyFromObject(pod)] = true
		// Running and ready, as the PodDisruptionBudgets' status counts them (see disruptionBudgets), and started
		// long before the clock: a do-not-disrupt duration has passed at the steady state, "true" holds.
		pod.Status.Phase = corev1.PodRunning
		pod.Status.StartTime = &podsStarted
		pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		if err := c.kube.Create(ctx, pod); err != nil {
			return "", fmt.Errorf("pod %s/%s: %w", pod.Namespace, pod.Name, err)
		}
		if err := c.state.UpdatePod(ctx, pod); err != nil {
			return "", fmt.Errorf("pod %s/%s: %w", pod.Namespace, pod.Name, err)
		}
		n.pods[client.ObjectKeyFromObject(pod)] = pod
	}
	return name, nil
}

// next does what the disruption controller's Reconcile does short of starting a command: for each method in
// order, it gets the candidates, sets the pools' totals, builds the budgets and computes the method's commands,
// and returns those of the first method that has any.
func (c *offlineCluster) next(ctx context.Context, methods []disruption.Method) ([]disruption.Command, error) {
	for _, m := range methods {
		candidates, totals, err := disruption.GetCandidatesWithTotals(ctx, c.state, c.kube, c.recorder, c.clk, c.cloud, m.ShouldDisrupt, m.Class(), c.queue, nil)
		if err != nil {
			return nil, fmt.Errorf("%s candidates: %w", m.Reason(), err)
		}
		if len(candidates) == 0 {
			continue
		}
		// The controller gets its candidates in the order of the cluster state's map of nodes, which Go randomizes;
		// the methods' own sorts (by savings ratio, then by pool) keep that order among equals. Given by name, the
		// candidates come in the same order on every run.
		slices.SortFunc(candidates, func(a, b *disruption.Candidate) int { return cmp.Compare(a.Name(), b.Name()) })
		if setter, ok := m.(disruption.NodePoolTotalsSetter); ok {
			setter.SetNodePoolTotals(totals)
		}
		budgets, err := disruption.BuildDisruptionBudgetMapping(ctx, c.state, c.clk, c.kube, c.cloud, c.recorder, m.Reason())
		if err != nil {
			return nil, fmt.Errorf("%s budgets: %w", m.Reason(), err)
		}
		cmds, err := m.ComputeCommands(ctx, budgets, candidates...)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", m.Reason(), m.ConsolidationType(), err)
		}
		var out []disruption.Command
		for _, cmd := range cmds {
			if cmd.Decision() != disruption.NoOpDecision {
				out = append(out, cmd)
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	return nil, nil
}

// execute carries out a command as its orchestration would end: replacements launched, the candidates' pods where
// the command's scheduling simulation put them, the candidates gone.
func (c *offlineCluster) execute(ctx context.Context, cmd disruption.Command) error {
	moving := map[types.NamespacedName]*corev1.Pod{}
	for _, cand := range cmd.Candidates {
		n, ok := c.nodes[cand.Name()]
		if !ok {
			return fmt.Errorf("command names node %s, which is not in the cluster", cand.Name())
		}
		for k, p := range n.pods {
			moving[k] = p
		}
		if err := c.remove(ctx, cand.Name()); err != nil {
			return err
		}
	}
	target := map[types.NamespacedName]string{}
	for _, r := range cmd.Replacements {
		pl, err := launch(r.NodeClaim)
		if err != nil {
			return err
		}
		// The replacement's pods are bound below, with the others that move.
		claimPods := pl.claim.Pods
		pl.claim = &karpscheduling.NodeClaim{NodeClaimTemplate: r.NodeClaimTemplate}
		name, err := c.add(ctx, pl)
		if err != nil {
			return err
		}
		for _, p := range claimPods {
			target[client.ObjectKeyFromObject(p)] = name
		}
	}
	for _, en := range cmd.Results.ExistingNodes {
		for _, p := range en.Pods {
			target[client.ObjectKeyFromObject(p)] = en.Name()
		}
	}
	for k, p := range moving {
		to, ok := target[k]
		if !ok {
			return fmt.Errorf("command for %d node(s) leaves pod %s without a node", len(cmd.Candidates), k)
		}
		n, ok := c.nodes[to]
		if !ok {
			return fmt.Errorf("command moves pod %s to node %s, which is not in the cluster", k, to)
		}
		pod := p.DeepCopy()
		pod.ResourceVersion = ""
		pod.Spec.NodeName = to
		if err := c.kube.Create(ctx, pod); err != nil {
			return fmt.Errorf("pod %s: %w", k, err)
		}
		if err := c.state.UpdatePod(ctx, pod); err != nil {
			return fmt.Errorf("pod %s: %w", k, err)
		}
		n.pods[k] = pod
	}
	return nil
}

// remove deletes a node, its NodeClaim and its pods, as termination does once the node has drained.
func (c *offlineCluster) remove(ctx context.Context, name string) error {
	n := c.nodes[name]
	for k, p := range n.pods {
		if err := c.kube.Delete(ctx, p); err != nil {
			return fmt.Errorf("pod %s: %w", k, err)
		}
		c.state.DeletePod(k)
	}
	if err := c.kube.Delete(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		return fmt.Errorf("Node %s: %w", name, err)
	}
	if err := c.kube.Delete(ctx, &karpv1.NodeClaim{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		return fmt.Errorf("NodeClaim %s: %w", name, err)
	}
	c.state.DeleteNode(name)
	c.state.DeleteNodeClaim(name)
	delete(c.nodes, name)
	return nil
}

// listPods answers pod lists from the nodes' pods, which the cluster keeps as it binds them, and passes every
// other list to the fake client. It filters as the API server does for the options Karpenter's code passes: a
// namespace, a label selector, and the spec.nodeName field (the index Karpenter's operator registers); a list with
// any other field selector goes to the fake client, whose index answers it.
func (c *offlineCluster) listPods(ctx context.Context, kube client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
	pods, ok := list.(*corev1.PodList)
	if !ok {
		return kube.List(ctx, list, opts...)
	}
	o := client.ListOptions{}
	o.ApplyOptions(opts)
	nodeName, byNode := "", false
	if o.FieldSelector != nil && !o.FieldSelector.Empty() {
		v, exact := o.FieldSelector.RequiresExactMatch("spec.nodeName")
		if !exact || len(o.FieldSelector.Requirements()) != 1 {
			return kube.List(ctx, list, opts...)
		}
		nodeName, byNode = v, true
	}
	pods.Items = nil
	for name, n := range c.nodes {
		if byNode && name != nodeName {
			continue
		}
		for _, p := range n.pods {
			if o.Namespace != "" && p.Namespace != o.Namespace {
				continue
			}
			if o.LabelSelector != nil && !o.LabelSelector.Matches(labels.Set(p.Labels)) {
				continue
			}
			pods.Items = append(pods.Items, *p.DeepCopy())
		}
	}
	// The API server lists in key order.
	slices.SortFunc(pods.Items, func(a, b corev1.Pod) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return nil
}

// placements are the cluster's nodes with the pods they hold now, and for each node that a pod keeps Karpenter from
// disrupting, Karpenter's reason: its own check of the node's pods against their do-not-disrupt annotations and
// PodDisruptionBudgets (StateNode.ValidatePodsDisruptable, which NewCandidate runs).
func (c *offlineCluster) placements(ctx context.Context) ([]placement, error) {
	limits, err := pdb.NewLimits(ctx, c.kube)
	if err != nil {
		return nil, fmt.Errorf("PodDisruptionBudgets: %w", err)
	}
	blocked := map[string]string{}
	for _, sn := range c.state.DeepCopyNodes() {
		if _, err := sn.ValidatePodsDisruptable(ctx, c.kube, limits, c.clk, c.recorder); state.IsPodBlockEvictionError(err) {
			blocked[sn.Name()] = err.Error()
		} else if err != nil {
			return nil, fmt.Errorf("node %s: %w", sn.Name(), err)
		}
	}
	out := make([]placement, 0, len(c.nodes))
	for name, n := range c.nodes {
		pods := make([]*corev1.Pod, 0, len(n.pods))
		for _, p := range n.pods {
			pods = append(pods, p)
		}
		pl := n.placement
		pl.node.Pods = len(pods)
		pl.node.Workloads = CountWorkloads(pods)
		pl.node.DisruptionBlocked = blocked[name]
		out = append(out, pl)
	}
	return out, nil
}

// offlineCloud is the cloud provider the disruption code asks for instance types: the estimate's, per pool. It
// launches nothing; the consolidation loop launches replacements itself, as launch does for the provisioner.
type offlineCloud struct {
	its map[string][]*cloudprovider.InstanceType
}

var errOffline = errors.New("the offline cluster launches and deletes nodes itself")

func (o *offlineCloud) Create(context.Context, *karpv1.NodeClaim) (*karpv1.NodeClaim, error) {
	return nil, errOffline
}
func (o *offlineCloud) Delete(context.Context, *karpv1.NodeClaim) error { return errOffline }
func (o *offlineCloud) Get(context.Context, string) (*karpv1.NodeClaim, error) {
	return nil, cloudprovider.NewNodeClaimNotFoundError(errOffline)
}
func (o *offlineCloud) List(context.Context) ([]*karpv1.NodeClaim, error) { return nil, nil }
func (o *offlineCloud) GetInstanceTypes(_ context.Context, np *karpv1.NodePool) ([]*cloudprovider.InstanceType, error) {
	return o.its[np.Name], nil
}
func (o *offlineCloud) IsDrifted(context.Context, *karpv1.NodeClaim) (cloudprovider.DriftReason, error) {
	return "", nil
}
func (o *offlineCloud) RepairPolicies() []cloudprovider.RepairPolicy { return nil }
func (o *offlineCloud) Name() string                                 { return "offline" }
func (o *offlineCloud) GetSupportedNodeClasses() []status.Object {
	return []status.Object{&awsv1.EC2NodeClass{}}
}

// virtualClock is a clock on which waiting takes no time: After and Sleep move it forward and return at once, so
// that the validators' 15 s wait passes instantly, and consolidateAfter and budgets see the time pass.
type virtualClock struct {
	*testingclock.FakeClock
	mu sync.Mutex
}

var _ clock.Clock = (*virtualClock)(nil)

func (v *virtualClock) After(d time.Duration) <-chan time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.Step(d)
	ch := make(chan time.Time, 1)
	ch <- v.Now()
	return ch
}

func (v *virtualClock) Sleep(d time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.Step(d)
}
