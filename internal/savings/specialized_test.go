package savings

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

func TestInstanceCategory(t *testing.T) {
	for name, want := range map[string]string{
		"g4ad.2xlarge": "g", "d3en.2xlarge": "d", "inf2.xlarge": "inf", "trn1.2xlarge": "trn", "im4gn.large": "im",
		"is4gen.medium": "is", "m8gd.4xlarge": "m", "c5.4xlarge": "c", "p4d.24xlarge": "p", "dl1.24xlarge": "dl",
	} {
		require.Equal(t, want, instanceCategory(name), name)
	}
}

// Nodes of accelerated and storage-dense types that run only pods requesting no accelerator are listed by pool and
// type, dearest first; a GPU node running a GPU workload is not, nor a general-purpose node; the note gives the
// share of the cost.
func TestSpecializedNodesForCPUPods(t *testing.T) {
	web := []WorkloadPods{{Kind: "Deployment", Namespace: "shop", Name: "web", Pods: 4}}
	train := []WorkloadPods{{Kind: "Deployment", Namespace: "ml", Name: "train", Pods: 1}}
	nodes := []Node{
		{InstanceType: "g4ad.2xlarge", NodePool: "default", HourlyUSD: 0.276, Workloads: web},
		{InstanceType: "g4ad.2xlarge", NodePool: "default", HourlyUSD: 0.276, Workloads: web},
		{InstanceType: "d3en.2xlarge", NodePool: "default", HourlyUSD: 0.371, Workloads: web},
		{InstanceType: "g5.xlarge", NodePool: "gpu", HourlyUSD: 1.006, Workloads: train},
		{InstanceType: "m8gd.4xlarge", NodePool: "graviton", HourlyUSD: 0.102, Workloads: web},
	}
	gpuPod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ml", OwnerReferences: []metav1.OwnerReference{workload.ControllerRef("Deployment", "train")}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{workload.GPUResource: resource.MustParse("1")},
		}}}},
	}
	got := specializedNodes(nodes, gpuOwners([]*corev1.Pod{gpuPod}))
	require.Equal(t, []SpecializedNodes{
		{NodePool: "default", InstanceType: "g4ad.2xlarge", Kind: "accelerated", Nodes: 2, HourlyUSD: 0.552},
		{NodePool: "default", InstanceType: "d3en.2xlarge", Kind: "storage-dense", Nodes: 1, HourlyUSD: 0.371},
	}, got)
	note := specializedNote(Multiarch, got, 2.031)
	require.Contains(t, note, "3 of multiarch's steady-state nodes, $0.9230/h or 45.4% of its cost")
	require.Contains(t, note, "2 g4ad.2xlarge (accelerated, pool default, $0.5520/h)")
	require.Empty(t, specializedNote(Multiarch, nil, 2.031))
}
