package mocks_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
)

// declare registers a plain role, one with the options the recording keeps, and reads a Service.
func declare(ctx *pulumi.Context) error {
	if _, err := iam.NewRole(ctx, "plain", &iam.RoleArgs{AssumeRolePolicy: pulumi.String("{}")}); err != nil {
		return err
	}
	if _, err := iam.NewServiceLinkedRole(ctx, "kept", &iam.ServiceLinkedRoleArgs{AwsServiceName: pulumi.String("spot.amazonaws.com")},
		pulumi.RetainOnDelete(true), pulumi.Import(pulumi.ID("arn:aws:iam::123456789012:role/spot")),
		pulumi.IgnoreChanges([]string{"description"})); err != nil {
		return err
	}
	provider, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
	if err != nil {
		return err
	}
	_, err = corev1.GetService(ctx, "ui", pulumi.ID("shop/ui"), nil, pulumi.Provider(provider))
	return err
}

func TestRunFuncRecordsResourceOptions(t *testing.T) {
	rec, err := mocks.RunFunc("p", "dev", declare)
	require.NoError(t, err)

	kept, err := rec.One(mocks.TypeServiceLinkedRole, "kept")
	require.NoError(t, err)
	require.True(t, kept.RetainOnDelete)
	require.Equal(t, "arn:aws:iam::123456789012:role/spot", kept.ImportID)
	require.Equal(t, []string{"description"}, kept.IgnoreChanges)

	ui, err := rec.One(mocks.TypeService, "ui")
	require.NoError(t, err)
	require.True(t, ui.Read)
	require.Equal(t, "shop/ui", ui.ReadID)
	k8s, err := rec.One(mocks.TypeKubernetesProvider, "k8s")
	require.NoError(t, err)
	require.Equal(t, k8s.URN, ui.Provider)
}

// Options left unset add nothing to the render's JSON.
func TestUnsetOptionsStayOutOfTheJSON(t *testing.T) {
	rec, err := mocks.RunFunc("p", "dev", declare)
	require.NoError(t, err)
	plain, err := rec.One(mocks.TypeRole, "plain")
	require.NoError(t, err)
	b, err := json.Marshal(plain)
	require.NoError(t, err)
	var fields map[string]any
	require.NoError(t, json.Unmarshal(b, &fields))
	for _, key := range []string{"retainOnDelete", "importId", "ignoreChanges", "readId", "read"} {
		require.NotContains(t, fields, key)
	}
}

func TestWithDryRunIsAPreview(t *testing.T) {
	for _, preview := range []bool{false, true} {
		var opts []mocks.Option
		if preview {
			opts = append(opts, mocks.WithDryRun())
		}
		var dryRun bool
		_, err := mocks.RunFunc("p", "dev", func(ctx *pulumi.Context) error {
			dryRun = ctx.DryRun()
			return nil
		}, opts...)
		require.NoError(t, err)
		require.Equal(t, preview, dryRun, "ctx.DryRun()")
	}
}

func TestOneNamesWhatWasDeclared(t *testing.T) {
	rec, err := mocks.RunFunc("p", "dev", declare)
	require.NoError(t, err)
	_, err = rec.One(mocks.TypeRole, "missing")
	require.EqualError(t, err, `no aws:iam/role:Role named "missing"; declared: ["plain"]`)
}

func TestRunFuncReturnsTheProgramsErrorAndWhatItDeclared(t *testing.T) {
	rec, err := mocks.RunFunc("p", "dev", func(ctx *pulumi.Context) error {
		if _, err := iam.NewRole(ctx, "first", &iam.RoleArgs{AssumeRolePolicy: pulumi.String("{}")}); err != nil {
			return err
		}
		return errTest
	})
	require.ErrorIs(t, err, errTest)
	require.Len(t, rec.ByType(mocks.TypeRole), 1)
}

var errTest = errors.New("component failed")
