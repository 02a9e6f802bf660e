package savings

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/stretchr/testify/require"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/savings/images"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/images/registrytest"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// shopDeployment is a Deployment of n pods of image, each asking for cpu and memory.
func shopDeployment(name, image string, n int, cpu, memory string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %s, namespace: sock-shop}
spec:
  replicas: %d
  template:
    metadata: {labels: {name: %s}}
    spec:
      containers:
      - name: %s
        image: %s
        resources:
          requests: {cpu: %s, memory: %s}
---
`, name, n, name, name, image, cpu, memory)
}

// monitoringAgent is a DaemonSet of one container with the given image and requests, in namespace monitoring.
func monitoringAgent(image, cpu, memory string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: monitoring}
spec:
  template:
    spec:
      containers:
      - name: agent
        image: %s
        resources: {requests: {cpu: %s, memory: %s}}
---
`, image, cpu, memory)
}

// sockShop is a small Sock Shop: a multi-arch front end, carts from an amd64-only index and orders from a single
// amd64 manifest, as weaveworksdemos published them.
func sockShop(frontEnd, carts, orders string) string {
	return shopDeployment("front-end", frontEnd, 2, "500m", "1Gi") +
		shopDeployment("carts", carts, 6, "1", "2Gi") +
		shopDeployment("orders", orders, 2, "500m", "1Gi")
}

// lookup reads the in-process registry without the machine's Docker config or AWS credentials.
func lookup() *images.Lookup {
	return &images.Lookup{Keychain: authn.NewMultiKeychain(), Timeout: 5 * time.Second}
}

// resolve reads the workload's images as mode says.
func resolve(t *testing.T, manifests, mode string) (*workload.Workload, *images.Result) {
	t.Helper()
	w, err := workload.Parse(strings.NewReader(manifests), "shop.yaml")
	require.NoError(t, err)
	res, err := images.Resolve(context.Background(), mode, "", images.Refs(w.Pods, w.DaemonSetPods), lookup())
	require.NoError(t, err)
	return w, res
}

// onArm64 counts each workload's pods on arm64 nodes over every scenario, first scale-up and steady state.
func onArm64(r *Report) map[string]int {
	out := map[string]int{}
	for _, s := range r.Scenarios {
		nodes := s.Nodes
		if s.Consolidated != nil {
			nodes = append(append([]Node{}, nodes...), s.Consolidated.Nodes...)
		}
		for _, n := range nodes {
			if n.Arch != karpv1.ArchitectureArm64 {
				continue
			}
			for _, w := range n.Workloads {
				out[w.Name] += w.Pods
			}
		}
	}
	return out
}

func TestAMD64OnlyImagesKeepTheirPodsOffArm64(t *testing.T) {
	reg := registrytest.New(t)
	frontEnd := reg.PushIndex(t, "weaveworksdemos/front-end:0.3.12", registrytest.LinuxAMD64, registrytest.LinuxARM64)
	carts := reg.PushIndex(t, "weaveworksdemos/carts:0.4.8", registrytest.LinuxAMD64)
	orders := reg.PushImage(t, "weaveworksdemos/orders:0.4.7", registrytest.LinuxAMD64)
	manifests := sockShop(frontEnd, carts, orders)
	cat := smallCatalog(t)

	// Before: every image assumed multi-arch, and carts and orders go to Graviton like the rest.
	before := estimate(t, cat, manifests, options(t))
	was := onArm64(before)
	require.Positive(t, was["carts"]+was["orders"], "without the images read, amd64-only pods land on arm64: %v", was)

	w, res := resolve(t, manifests, images.ModeRegistry)
	o := options(t)
	o.Images = res
	r, err := Estimate(context.Background(), cat, w, o)
	require.NoError(t, err)
	now := onArm64(r)
	require.Zero(t, now["carts"], "carts' image offers no linux/arm64")
	require.Zero(t, now["orders"], "orders' image offers no linux/arm64")

	require.NotNil(t, r.Images)
	require.Equal(t, images.ModeRegistry, r.Images.Mode)
	status := map[string]images.Status{}
	for _, img := range r.Images.Images {
		status[img.Reference] = img.Status
	}
	require.Equal(t, map[string]images.Status{frontEnd: images.MultiArch, carts: images.AMD64Only, orders: images.AMD64Only}, status)

	// The advice names each amd64-only image and what its multi-arch build would save.
	advised := map[string]ImageAdvice{}
	for _, a := range r.Advice.MultiArchImages {
		require.Len(t, a.Images, 1, "one image pins each workload")
		advised[a.Images[0]] = a
	}
	require.Contains(t, advised, carts)
	require.Contains(t, advised, orders)
	require.Equal(t, "carts", advised[carts].Name)
	require.Equal(t, 6, advised[carts].Pods)
	require.Positive(t, advised[carts].ARM64After, "with a multi-arch build carts may go to arm64")
	// Each figure is the multiarch scenario scheduled again with that image allowed on arm64 and preferring it.
	require.Positive(t, advised[carts].Saving.MonthlyUSD, "a multi-arch build of carts saves on Graviton")
	require.Positive(t, advised[orders].Saving.MonthlyUSD, "a multi-arch build of orders saves on Graviton")

	// Nothing was assumed: the whole Graviton saving is verified, and no extra pass ran.
	g := r.Images.Graviton
	require.NotNil(t, g)
	graviton, ok := r.Savings.Cause(CauseGraviton)
	require.True(t, ok)
	require.Equal(t, graviton, g.Verified)
	require.Zero(t, g.Assumed.HourlyUSD)
	require.Zero(t, g.AssumedAMD64HourlyUSD)
}

func TestAutoModeAssumesAnUnreadableImageAndSplitsTheGravitonSaving(t *testing.T) {
	reg := registrytest.New(t)
	frontEnd := reg.PushIndex(t, "front-end:0.3.12", registrytest.LinuxAMD64, registrytest.LinuxARM64)
	orders := reg.PushImage(t, "orders:0.4.7", registrytest.LinuxAMD64)
	carts := registrytest.ClosedHost(t) + "/weaveworksdemos/carts:0.4.8"
	w, res := resolve(t, sockShop(frontEnd, carts, orders), images.ModeAuto)
	require.Equal(t, []string{carts}, res.Assumed(), "auto names the image it could not read")

	o := options(t)
	o.Images = res
	r, err := Estimate(context.Background(), smallCatalog(t), w, o)
	require.NoError(t, err)
	for _, img := range r.Images.Images {
		if img.Reference == carts {
			require.Equal(t, images.Assumed, img.Status)
			require.NotEmpty(t, img.Reason, "an assumed image says why")
		}
	}
	require.Contains(t, r.Images.Note, carts, "the note names the assumed image")
	var table strings.Builder
	require.NoError(t, WriteTable(&table, r))
	require.Contains(t, table.String(), "  not read, assumed multi-arch: "+carts+": registry "+strings.Split(carts, "/")[0]+": ",
		"the report says why the image was not read")
	require.Positive(t, onArm64(r)["carts"], "an assumed image is taken to run on arm64")
	require.Zero(t, onArm64(r)["orders"])

	g := r.Images.Graviton
	require.NotNil(t, g)
	graviton, _ := r.Savings.Cause(CauseGraviton)
	require.Positive(t, g.AssumedAMD64HourlyUSD, "the on-demand step ran again with carts on amd64")
	require.Positive(t, g.Assumed.HourlyUSD, "part of the Graviton saving rests on carts running on arm64")
	require.InDelta(t, graviton.HourlyUSD, g.Verified.HourlyUSD+g.Assumed.HourlyUSD, 1e-6, "the two parts add up to the Graviton saving")
}

func TestAnImageOfTheOtherArchitectureThanThePodRequiresIsAnError(t *testing.T) {
	manifests := deployment("legacy", 1, "500m", "1Gi", "nodeSelector: {kubernetes.io/arch: arm64}")
	manifests = strings.Replace(manifests, "- name: app\n", "- name: app\n        image: legacy:1.0\n", 1)
	w, err := workload.Parse(strings.NewReader(manifests), "legacy.yaml")
	require.NoError(t, err)
	o := options(t)
	o.Images = &images.Result{Mode: images.ModeFile, Images: []images.Image{{Reference: "legacy:1.0", Status: images.AMD64Only, Platforms: []string{"linux/amd64"}}}}
	_, err = Estimate(context.Background(), smallCatalog(t), w, o)
	require.ErrorContains(t, err, "Deployment default/legacy")
	require.ErrorContains(t, err, "legacy:1.0")
	require.ErrorContains(t, err, "exec format error")
}

func TestWorkloadsSharingAnAMD64OnlyImageGetOneAdvisedRun(t *testing.T) {
	reg := registrytest.New(t)
	shared := reg.PushIndex(t, "weaveworksdemos/java-base:1.0", registrytest.LinuxAMD64)
	manifests := shopDeployment("carts", shared, 4, "1", "2Gi") + shopDeployment("shipping", shared, 2, "1", "2Gi")
	w, res := resolve(t, manifests, images.ModeRegistry)
	o := options(t)
	o.Images = res
	r, err := Estimate(context.Background(), smallCatalog(t), w, o)
	require.NoError(t, err)
	require.Len(t, r.Advice.MultiArchImages, 1, "one multi-arch build frees both workloads: one run")
	a := r.Advice.MultiArchImages[0]
	require.Equal(t, []string{shared}, a.Images)
	require.Equal(t, "carts", a.Name, "the largest workload names the run")
	require.Equal(t, 6, a.Pods)
	require.Equal(t, []WorkloadPods{
		{Kind: "Deployment", Namespace: "sock-shop", Name: "carts", Pods: 4},
		{Kind: "Deployment", Namespace: "sock-shop", Name: "shipping", Pods: 2},
	}, a.Workloads)
	var table strings.Builder
	require.NoError(t, WriteTable(&table, r))
	require.Contains(t, table.String(), "image "+shared+" for Deployment sock-shop/carts (4 pods), Deployment sock-shop/shipping (2 pods): ")
}

// A DaemonSet's pod with an amd64-only image is pinned like any other, so that it counts on amd64 nodes only; its
// workload is named among the pinned ones, and a multi-arch Deployment beside it is left free.
func TestADaemonSetsAMD64OnlyImagePinsItsPods(t *testing.T) {
	manifests := monitoringAgent("legacy/agent:1.0", "100m", "128Mi") + shopDeployment("front-end", "front-end:0.3.12", 2, "500m", "1Gi")
	w, err := workload.Parse(strings.NewReader(manifests), "agent.yaml")
	require.NoError(t, err)
	require.Len(t, w.DaemonSetPods, 1)
	o := options(t)
	o.Images = &images.Result{Mode: images.ModeFile, Images: []images.Image{
		{Reference: "legacy/agent:1.0", Status: images.AMD64Only, Platforms: []string{"linux/amd64"}},
		{Reference: "front-end:0.3.12", Status: images.MultiArch, Platforms: []string{"linux/amd64", "linux/arm64"}},
	}}
	e, err := newEstimator(context.Background(), smallCatalog(t), w, o)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"kubernetes.io/arch": "amd64"}, e.w.DaemonSetPods[0].Spec.NodeSelector)
	require.Empty(t, w.DaemonSetPods[0].Spec.NodeSelector, "the input's pod is left as read")
	require.Equal(t, map[workload.Owner][]string{{Kind: "DaemonSet", Namespace: "monitoring", Name: "agent"}: {"legacy/agent:1.0"}}, e.marks.pinned)
	for _, p := range e.pods {
		require.NotContains(t, p.Spec.NodeSelector, "kubernetes.io/arch", "the multi-arch Deployment stays free")
	}

	// The error for a DaemonSet that requires the other architecture names the DaemonSet.
	arm := strings.Replace(manifests, "    spec:\n      containers:\n      - name: agent", "    spec:\n      nodeSelector: {kubernetes.io/arch: arm64}\n      containers:\n      - name: agent", 1)
	w, err = workload.Parse(strings.NewReader(arm), "agent.yaml")
	require.NoError(t, err)
	_, err = newEstimator(context.Background(), smallCatalog(t), w, o)
	require.ErrorContains(t, err, "DaemonSet monitoring/agent: image(s) legacy/agent:1.0 run on amd64 only")
}

// A DaemonSet with an assumed image is on every node whether or not its image runs on arm64, so the Graviton
// saving does not rest on it: pinning it to amd64 in the split's pass took its cost off the arm64 nodes and gave a
// "verified" part three times the Graviton saving and an assumed part of -$178.70/month.
func TestADaemonSetsAssumedImageLeavesTheGravitonSavingVerified(t *testing.T) {
	manifests := monitoringAgent("agent:1.0", `"3"`, "1Gi") + shopDeployment("front-end", "front-end:0.3.12", 8, "1", "2Gi")
	w, err := workload.Parse(strings.NewReader(manifests), "agent.yaml")
	require.NoError(t, err)
	o := options(t)
	o.Images = &images.Result{Mode: images.ModeAuto, Images: []images.Image{
		{Reference: "agent:1.0", Status: images.Assumed, Reason: "registry timed out"},
		{Reference: "front-end:0.3.12", Status: images.MultiArch, Platforms: []string{"linux/amd64", "linux/arm64"}},
	}}
	r, err := Estimate(context.Background(), smallCatalog(t), w, o)
	require.NoError(t, err)
	graviton, ok := r.Savings.Cause(CauseGraviton)
	require.True(t, ok)
	require.Positive(t, graviton.HourlyUSD)
	g := r.Images.Graviton
	require.Equal(t, graviton, g.Verified, "the whole Graviton saving holds whether or not agent's image runs on arm64")
	require.Zero(t, g.Assumed.HourlyUSD)
	require.Contains(t, g.Note, "DaemonSet")
}
