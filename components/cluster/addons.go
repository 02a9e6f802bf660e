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
// Sources, read on 2026-12-08 (no network here: `aws eks describe-addon-versions` could not be run):
//   - 1.35: an EKS 1.35 cluster's Terraform configuration in a public repository (eks_addons in its terraform.tfvars:
//     vpc-cni v1.21.1-eksbuild.3, kube-proxy v1.35.0-eksbuild.2, coredns v1.13.2-eksbuild.1,
//     eks-pod-identity-agent v1.3.10-eksbuild.3); not AWS's own table. The EKS User Guide's tables (managing-kube-proxy,
//     managing-vpc-cni, managing-coredns), in the newest copy read here, stop at 1.34 and do not list CoreDNS for it
//     nor the pod identity agent at all, so no other minor has a complete, sourced row.
//
// Before a release, check a row with
// `aws eks describe-addon-versions --kubernetes-version <minor> --addon-name <name>` and add rows for the minors
// the configuration allows (internal/program/config/versions.go): a minor without a row is refused by AddonVersions.
var addonVersions = map[string]map[string]string{
	"1.35": {
		AddonVpcCni:           "v1.21.1-eksbuild.3",
		AddonKubeProxy:        "v1.35.0-eksbuild.2",
		AddonPodIdentityAgent: "v1.3.10-eksbuild.3",
		AddonCoreDNS:          "v1.13.2-eksbuild.1",
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
