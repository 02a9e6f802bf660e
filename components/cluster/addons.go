package cluster

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The EKS managed add-ons the cluster runs, by their EKS names.
const (
	AddonVpcCni           = "vpc-cni"
	AddonKubeProxy        = "kube-proxy"
	AddonPodIdentityAgent = "eks-pod-identity-agent"
	AddonCoreDNS          = "coredns"
)

// Addons are the managed add-ons, in the order the cluster declares them.
var Addons = []string{AddonVpcCni, AddonKubeProxy, AddonPodIdentityAgent, AddonCoreDNS}

// addonVersions pins each add-on's version per Kubernetes minor. Without a pin, EKS installs its default version for
// the cluster's Kubernetes version at create and never changes it afterwards: a kubernetesVersion bump would upgrade
// the control plane and the node group and leave kube-proxy and CoreDNS at the old minor's build. With a pin, the
// bump changes addonVersion, which the provider updates in place (UpdateAddon; in terraform-provider-aws's
// internal/service/eks/addon.go, the bridged upstream of aws:eks/addon:Addon, addon_version is Optional and Computed,
// not ForceNew), in the order the dependencies give.
//
// Sources, read on 2026-12-08 (no network here: `aws eks describe-addon-versions` could not be run), each a version
// EKS offers for that minor, not necessarily its newest build:
//   - 1.34: kube-proxy v1.34.1-eksbuild.2 and vpc-cni v1.20.4-eksbuild.1 from the EKS User Guide's tables
//     (managing-kube-proxy, managing-vpc-cni: "the latest version of the Amazon EKS add-on type for each Kubernetes
//     version"); coredns v1.12.4-eksbuild.1 and eks-pod-identity-agent v1.3.10-eksbuild.1 from public Terraform
//     configurations of EKS 1.34 clusters, because the Guide's CoreDNS table read here stops at 1.33 and it has no
//     table for the pod identity agent.
//   - 1.35: an EKS 1.35 cluster's Terraform configuration in a public repository (its eks_addons).
//   - 1.36: the versions a deployed EKS 1.36 cluster resolved to, recorded with its test run (2026-09) in a public
//     repository.
//
// Only 1.34 rests partly on AWS's own documentation. Before a release, check every row with
// `aws eks describe-addon-versions --kubernetes-version <minor> --addon-name <name>`, and add rows for the other minors
// the configuration allows (internal/program/config/versions.go): a minor without a row is refused by AddonVersions.
var addonVersions = map[string]map[string]string{
	"1.34": {
		AddonVpcCni:           "v1.20.4-eksbuild.1",
		AddonKubeProxy:        "v1.34.1-eksbuild.2",
		AddonPodIdentityAgent: "v1.3.10-eksbuild.1",
		AddonCoreDNS:          "v1.12.4-eksbuild.1",
	},
	"1.35": {
		AddonVpcCni:           "v1.21.1-eksbuild.3",
		AddonKubeProxy:        "v1.35.0-eksbuild.2",
		AddonPodIdentityAgent: "v1.3.10-eksbuild.3",
		AddonCoreDNS:          "v1.13.2-eksbuild.1",
	},
	"1.36": {
		AddonVpcCni:           "v1.22.4-eksbuild.3",
		AddonKubeProxy:        "v1.36.0-eksbuild.21",
		AddonPodIdentityAgent: "v1.3.10-eksbuild.3",
		AddonCoreDNS:          "v1.14.3-eksbuild.16",
	},
}

// AddonVersionMinors are the Kubernetes minors the add-on version table knows, ascending.
func AddonVersionMinors() []string {
	return slices.SortedFunc(maps.Keys(addonVersions), compareMinors)
}

// AddonVersions returns the add-on versions pinned for a Kubernetes minor, by add-on name, or an error naming the
// minors the table knows.
func AddonVersions(kubernetesVersion string) (map[string]string, error) {
	v, ok := addonVersions[kubernetesVersion]
	if !ok {
		return nil, fmt.Errorf("no EKS add-on versions are pinned for Kubernetes %q; the table (components/cluster/addons.go) knows %s: "+
			"use one of those, or add a row from `aws eks describe-addon-versions --kubernetes-version %s`",
			kubernetesVersion, strings.Join(AddonVersionMinors(), ", "), kubernetesVersion)
	}
	return maps.Clone(v), nil
}

// compareMinors orders "1.9" before "1.10".
func compareMinors(a, b string) int {
	var am, an, bm, bn int
	_, errA := fmt.Sscanf(a, "%d.%d", &am, &an)
	_, errB := fmt.Sscanf(b, "%d.%d", &bm, &bn)
	if errA != nil || errB != nil {
		return strings.Compare(a, b)
	}
	if am != bm {
		return am - bm
	}
	return an - bn
}
