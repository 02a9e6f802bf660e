package config

import (
	"fmt"
	"time"

	"github.com/karpenter-savings/karpenter-savings/internal/program/karpenteriam"
)

// supportWindow is one Kubernetes minor's EKS support calendar: standard support ends on StandardEnd, extended
// support (control plane at $0.60/h instead of $0.10/h) on ExtendedEnd.
type supportWindow struct {
	StandardEnd time.Time
	ExtendedEnd time.Time
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// kubernetesVersions are the minors Karpenter 1.14 supports (1.26–1.36), with the end dates of the EKS Kubernetes
// release calendar (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html). Dates for 1.35 and 1.36
// are release date + 14 months (standard) and + 26 months (extended), as EKS's policy sets them.
var kubernetesVersions = map[string]supportWindow{
	"1.26": {day("2024-06-11"), day("2025-06-11")},
	"1.27": {day("2024-07-24"), day("2025-07-24")},
	"1.28": {day("2024-11-26"), day("2025-11-26")},
	"1.29": {day("2025-03-23"), day("2026-03-23")},
	"1.30": {day("2025-07-23"), day("2026-07-23")},
	"1.31": {day("2025-11-26"), day("2026-11-26")},
	"1.32": {day("2026-03-23"), day("2027-03-23")},
	"1.33": {day("2026-07-29"), day("2027-07-29")},
	"1.34": {day("2026-12-02"), day("2027-12-02")},
	"1.35": {day("2027-03-27"), day("2028-03-27")},
	"1.36": {day("2027-07-28"), day("2028-07-28")},
}

// Hourly EKS control-plane prices, the reason the warnings below exist.
const (
	standardSupportUSDPerHour = 0.10
	extendedSupportUSDPerHour = 0.60
)

// Warnings returns what the preview log should say about this configuration on the given day; it never fails.
func (c *Config) Warnings(now time.Time) []string {
	w, ok := kubernetesVersions[c.KubernetesVersion]
	if !ok {
		return nil
	}
	var out []string
	// A version past extended support is a validation error (ValidateAt), not a warning.
	if now.Before(w.ExtendedEnd) && !now.Before(w.StandardEnd) {
		out = append(out, fmt.Sprintf("%s: Kubernetes %s is in EKS extended support since %s: the control plane costs $%.2f/h instead of $%.2f/h (about $%.0f more a month); upgrade to save",
			qualify(KeyKubernetesVersion), c.KubernetesVersion, w.StandardEnd.Format(time.DateOnly), extendedSupportUSDPerHour, standardSupportUSDPerHour,
			(extendedSupportUSDPerHour-standardSupportUSDPerHour)*730))
	}
	if c.NodeAMIVersion == NodeAMIRecommended {
		out = append(out, fmt.Sprintf("%s: %q follows SSM's newest AL2023 release, so a preview after an AMI release rolls every Karpenter node; pin a release (e.g. v20251120) in production",
			qualify(KeyNodeAMIVersion), c.NodeAMIVersion))
	}
	return out
}

// DiscoveryTagKey is the tag Karpenter's selectors look for on subnets and security groups; its value is the
// cluster name.
func (c *Config) DiscoveryTagKey() string {
	if c.DiscoveryTag == DiscoveryShared {
		return "karpenter.sh/discovery"
	}
	return "karpenter.sh/discovery/" + c.ClusterName
}

// NodeRoleName is the IAM role of the nodes Karpenter launches, named as Karpenter's CloudFormation names it.
func (c *Config) NodeRoleName() string {
	return karpenteriam.Scope{ClusterName: c.ClusterName}.NodeRoleName()
}
