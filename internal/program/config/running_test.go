package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckRunningCluster(t *testing.T) {
	running := RunningCluster{Version: "1.34", VpcID: "vpc-0123", VpcCidr: "10.42.0.0/20"}
	cases := []struct {
		name    string
		version string
		cidr    string
		want    []string // empty: accepted
	}{
		{"the same version", "1.34", "10.42.0.0/20", nil},
		{"the next minor", "1.35", "10.42.0.0/20", nil},
		{"a downgrade", "1.33", "10.42.0.0/20", []string{`karpenter-savings:kubernetesVersion: "1.33" is older than 1.34, the version EKS cluster c runs: EKS never downgrades a cluster; set it back to 1.34`}},
		{"two minors up", "1.36", "10.42.0.0/20", []string{`karpenter-savings:kubernetesVersion: "1.36" is more than one minor above 1.34, the version EKS cluster c runs: EKS upgrades one minor at a time; set it to 1.35, run ` + "`pulumi up`"}},
		{"another CIDR", "1.34", "10.43.0.0/20", []string{`karpenter-savings:vpcCidr: "10.43.0.0/20" differs from 10.42.0.0/20, the CIDR of vpc-0123, where EKS cluster c runs`, "set it back to 10.42.0.0/20"}},
		{"both at once", "1.32", "10.43.0.0/20", []string{"karpenter-savings:vpcCidr: ", "karpenter-savings:kubernetesVersion: "}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &Config{ClusterName: "c", KubernetesVersion: tc.version, VpcCidr: tc.cidr}
			err := c.CheckRunningCluster(running)
			if len(tc.want) == 0 {
				require.NoError(t, err)
				return
			}
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
}

// A version EKS reports that is not 1.<minor> cannot be compared: said, not passed.
func TestCheckRunningClusterNamesAVersionItCannotRead(t *testing.T) {
	c := &Config{ClusterName: "c", KubernetesVersion: "1.35", VpcCidr: "10.42.0.0/20"}
	require.ErrorContains(t, c.CheckRunningCluster(RunningCluster{Version: "2.0", VpcCidr: "10.42.0.0/20"}), `EKS reports version "2.0" for cluster c`)
}
