package cleanup

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	"github.com/aws/karpenter-provider-aws/pkg/providers/instanceprofile"
)

// InstanceProfilePath is the IAM path prefix of the instance profiles Karpenter creates for a cluster:
// "/karpenter/<region>/<cluster>/", under which each EC2NodeClass's profiles sit in "<nodeclass uid>/"
// (karpenter-provider-aws v1.14.4, InstanceProfile.Reconcile in pkg/controllers/nodeclass/instanceprofile.go; its
// garbage collector lists them by this prefix, Controller.cleanupInactiveProfiles in
// pkg/controllers/nodeclass/garbagecollection/controller.go).
func InstanceProfilePath(region, cluster string) string {
	return instanceprofile.FormatPath("karpenter", region, cluster)
}

// findInstanceProfiles lists the profiles under the cluster's path that also carry Karpenter's tag
// eks:eks-cluster-name=<cluster> (EC2NodeClass.InstanceProfileTags in pkg/apis/v1/ec2nodeclass.go).
// ListInstanceProfiles returns no tags, so each profile's are read with ListInstanceProfileTags.
func (c *Cleaner) findInstanceProfiles(ctx context.Context, _ io.Writer) ([]Item, error) {
	path := InstanceProfilePath(c.opts.Region, c.opts.Cluster)
	p := iam.NewListInstanceProfilesPaginator(c.clients.IAM, &iam.ListInstanceProfilesInput{PathPrefix: aws.String(path)})
	var items []Item
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing instance profiles under %s: %w", path, err)
		}
		for _, prof := range page.InstanceProfiles {
			name := aws.ToString(prof.InstanceProfileName)
			tagged, err := c.profileTagged(ctx, name)
			if err != nil {
				return nil, err
			}
			if !tagged {
				continue
			}
			it := Item{Kind: KindInstanceProfile, ID: name}
			for _, r := range prof.Roles {
				it.roles = append(it.roles, aws.ToString(r.RoleName))
			}
			it.Reason = fmt.Sprintf("path %s, tag %s=%s", aws.ToString(prof.Path), awsv1.EKSClusterNameTagKey, c.opts.Cluster)
			if len(it.roles) > 0 {
				it.Reason += "; role " + strings.Join(it.roles, ", ")
			}
			items = append(items, it)
		}
	}
	return items, nil
}

func (c *Cleaner) profileTagged(ctx context.Context, name string) (bool, error) {
	p := iam.NewListInstanceProfileTagsPaginator(c.clients.IAM, &iam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return false, fmt.Errorf("listing the tags of instance profile %s: %w", name, err)
		}
		for _, t := range page.Tags {
			if aws.ToString(t.Key) == awsv1.EKSClusterNameTagKey && aws.ToString(t.Value) == c.opts.Cluster {
				return true, nil
			}
		}
	}
	return false, nil
}

// deleteInstanceProfile removes the profile's roles, as IAM requires, then deletes it.
func (c *Cleaner) deleteInstanceProfile(ctx context.Context, it Item) error {
	for _, role := range it.roles {
		_, err := c.clients.IAM.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{
			InstanceProfileName: aws.String(it.ID),
			RoleName:            aws.String(role),
		})
		// Gone means a retry already removed it.
		if err := ignoreGone(err); err != nil {
			return fmt.Errorf("removing role %s: %w", role, err)
		}
	}
	_, err := c.clients.IAM.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(it.ID)})
	return err
}
