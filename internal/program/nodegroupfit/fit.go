package nodegroupfit

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// addOn is the pod one EKS add-on runs on a node of the group, with the requests the add-on ships.
type addOn struct {
	name        string
	cpu, memory resource.Quantity
}

// addOns are the pods a node of the group holds besides the controller. The stack sets no resources in the add-ons'
// configuration, so their requests are the add-ons' own; no offline source has the EKS add-on manifests, so these are
// copied from the public manifests named below.
var addOns = []addOn{
	// vpc-cni: 25m for the aws-node container and 25m for aws-eks-nodeagent (the network policy agent), no memory; the
	// aws-vpc-cni-init container's 25m runs before them, so it adds nothing. From the release manifest of v1.14.0,
	// the first with the node agent: github.com/aws/amazon-vpc-cni-k8s, config/master/aws-k8s-cni.yaml.
	{"aws-node", resource.MustParse("50m"), resource.Quantity{}},
	// kube-proxy: 100m, no memory; the DaemonSet the EKS kube-proxy add-on installs, as read from a cluster
	// (v1.28.1-minimal-eksbuild.1): EKS publishes no manifest of it.
	{"kube-proxy", resource.MustParse("100m"), resource.Quantity{}},
	// eks-pod-identity-agent: no requests; its chart (github.com/aws/eks-charts, stable/eks-pod-identity-agent)
	// leaves resources empty.
	{"eks-pod-identity-agent", resource.Quantity{}, resource.Quantity{}},
	// coredns: 100m and 70Mi per replica (limit 170Mi), the EKS coredns add-on's Deployment as eksctl copies it
	// (github.com/eksctl-io/eksctl, pkg/addons/default/assets/coredns-1.35.json). Its anti-affinity is only preferred,
	// so one replica may share the controller's node; the second one too when the group has a single node.
	{"coredns", resource.MustParse("100m"), resource.MustParse("70Mi")},
}

// demand is what one node of the group must hold.
type demand struct {
	controllerCPU, controllerMemory resource.Quantity
	addOnCPU, addOnMemory           resource.Quantity
	cpu, memory                     resource.Quantity // the sums
}

func demandOf(req Requirement) demand {
	d := demand{controllerCPU: req.ControllerCPU.DeepCopy(), controllerMemory: req.ControllerMemory.DeepCopy()}
	for _, a := range addOns {
		d.addOnCPU.Add(a.cpu)
		d.addOnMemory.Add(a.memory)
	}
	d.cpu, d.memory = d.controllerCPU.DeepCopy(), d.controllerMemory.DeepCopy()
	d.cpu.Add(d.addOnCPU)
	d.memory.Add(d.addOnMemory)
	return d
}

// node is the allocatable of one instance type on the group's AL2023 nodes, as Karpenter computes it (nodes.csv), with
// the parts a reason explains it by.
type node struct {
	cpu, memory                         resource.Quantity // allocatable
	capacityMemory                      resource.Quantity
	kubeReservedCPU, kubeReservedMemory resource.Quantity
	evictionMemory                      resource.Quantity
}

func (n node) holds(d demand) bool {
	return n.cpu.Cmp(d.cpu) >= 0 && n.memory.Cmp(d.memory) >= 0
}

func cpuOf(a addOn) resource.Quantity    { return a.cpu }
func memoryOf(a addOn) resource.Quantity { return a.memory }

// addOnList lists the add-ons that request some of a resource, e.g. "aws-node 50m, kube-proxy 100m, coredns 100m".
func addOnList(of func(addOn) resource.Quantity, format func(resource.Quantity) string) string {
	var parts []string
	for _, a := range addOns {
		if q := of(a); !q.IsZero() {
			parts = append(parts, a.name+" "+format(q))
		}
	}
	return strings.Join(parts, ", ")
}

func milli(q resource.Quantity) string { return fmt.Sprintf("%dm", q.MilliValue()) }

const mebi = 1 << 20

// mebiCeil prints a demand in MiB, rounded up; mebiFloor prints what a node has, rounded down.
func mebiCeil(q resource.Quantity) string { return fmt.Sprintf("%dMi", (q.Value()+mebi-1)/mebi) }

func mebiFloor(q resource.Quantity) string { return fmt.Sprintf("%dMi", q.Value()/mebi) }
