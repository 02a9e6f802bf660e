package poolspec

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSelectorTermErrors covers the shapes of an empty term that Options cannot produce, on a class as Build makes it;
// TestBuildRejectsEmptySelectorTerms covers those it can.
func TestSelectorTermErrors(t *testing.T) {
	cases := []struct {
		name string
		edit func(*EC2NodeClassSpec)
		want []string
	}{
		{"a class as Build makes it passes", func(*EC2NodeClassSpec) {}, nil},
		{"a subnet term without tags", func(s *EC2NodeClassSpec) { s.SubnetSelectorTerms = []SelectorTerm{{}} },
			[]string{`nodepool: EC2NodeClass "default": spec.subnetSelectorTerms[0] is empty: want tags, each with a non-empty key and value`}},
		{"a security group term with tags {}", func(s *EC2NodeClassSpec) {
			s.SecurityGroupSelectorTerms = []SelectorTerm{{Tags: map[string]string{}}}
		}, []string{`nodepool: EC2NodeClass "default": spec.securityGroupSelectorTerms[0] is empty: want tags, each with a non-empty key and value`}},
		{"an empty tag key", func(s *EC2NodeClassSpec) {
			s.SubnetSelectorTerms = []SelectorTerm{{Tags: map[string]string{"": "c"}}}
		}, []string{`nodepool: EC2NodeClass "default": spec.subnetSelectorTerms[0] has a tag with an empty key (value "c")`}},
		{"an empty tag value", func(s *EC2NodeClassSpec) {
			s.SecurityGroupSelectorTerms = []SelectorTerm{{Tags: map[string]string{"karpenter.sh/discovery": ""}}}
		}, []string{`nodepool: EC2NodeClass "default": spec.securityGroupSelectorTerms[0] has tag "karpenter.sh/discovery" with an empty value`}},
		{"the term is named by its index", func(s *EC2NodeClassSpec) {
			s.SubnetSelectorTerms = append(s.SubnetSelectorTerms, SelectorTerm{})
		}, []string{`spec.subnetSelectorTerms[1] is empty`}},
		{"an AMI term with neither alias nor id", func(s *EC2NodeClassSpec) { s.AMISelectorTerms = []AMISelectorTerm{{}} },
			[]string{`nodepool: EC2NodeClass "default": spec.amiSelectorTerms[0] is empty: want an alias or an id`}},
		{"every empty term is reported", func(s *EC2NodeClassSpec) {
			s.SubnetSelectorTerms = []SelectorTerm{{}}
			s.SecurityGroupSelectorTerms = []SelectorTerm{{Tags: map[string]string{"a": "", "": "b"}}}
			s.AMISelectorTerms = []AMISelectorTerm{{}}
		}, []string{
			"spec.subnetSelectorTerms[0] is empty",
			"spec.securityGroupSelectorTerms[0] has a tag with an empty key",
			`spec.securityGroupSelectorTerms[0] has tag "a" with an empty value`,
			"spec.amiSelectorTerms[0] is empty",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{ClusterName: "c", DiscoveryTagKey: "karpenter.sh/discovery"}
			nc := o.nodeClass(Default, intentApps, AMISelectorTerm{Alias: "al2023@latest"}, nil, rootVolumeSize)
			tc.edit(&nc.Spec)
			errs := nc.selectorTermErrors()
			require.Lenf(t, errs, len(tc.want), "expected %d error(s) %q, got %v", len(tc.want), tc.want, errs)
			for i, want := range tc.want {
				require.ErrorContainsf(t, errs[i], want, "error %d: expected %q, got %q", i, want, errs[i])
			}
		})
	}
}
