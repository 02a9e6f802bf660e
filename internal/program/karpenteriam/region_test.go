package karpenteriam

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The region the stack scopes Karpenter to is read back from its own regional-read policy, as IAM returns it.
func TestRegionsOfReadsTheRegionalReadPolicyBack(t *testing.T) {
	s := Scope{Partition: "aws", Region: "eu-west-1", AccountID: "123456789012", ClusterName: "c"}
	var doc string
	for _, p := range ControllerPolicies(s) {
		if p.Name == RegionalReadPolicyName(s) {
			var err error
			doc, err = p.Document.JSON()
			require.NoError(t, err)
		}
	}
	require.NotEmpty(t, doc, "ControllerPolicies holds the regional-read policy")
	regions, err := RegionsOf(doc)
	require.NoError(t, err)
	require.Equal(t, []string{"eu-west-1"}, regions)
	require.Equal(t, "arn:aws:iam::123456789012:policy/KarpenterControllerResourceDiscoveryPolicy-c", s.PolicyARN(RegionalReadPolicyName(s)))

	_, err = RegionsOf(`{"Version":"2012-10-17","Statement":[{"Sid":"Other","Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`)
	require.ErrorContains(t, err, "no AllowRegionalReadActions statement")
	_, err = RegionsOf(`not json`)
	require.ErrorContains(t, err, "reading the policy document")
}
