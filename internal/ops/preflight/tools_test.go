package preflight_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/ops/preflight"
)

// output is what a fake command prints and returns.
type output struct {
	stdout, stderr string
	err            error
}

// fakeRunner answers commands by their command line; any other command is not on PATH.
type fakeRunner map[string]output

func (f fakeRunner) Run(_ context.Context, name string, args ...string) (string, string, error) {
	o, ok := f[strings.Join(append([]string{name}, args...), " ")]
	if !ok {
		return "", "", &exec.Error{Name: name, Err: exec.ErrNotFound}
	}
	return o.stdout, o.stderr, o.err
}

const (
	pulumiCmd  = "pulumi version"
	awsCmd     = "aws --version"
	kubectlCmd = "kubectl version --client -o json"
)

// goodTools answers every version command with a supported version.
func goodTools() fakeRunner {
	return fakeRunner{
		pulumiCmd:  {stdout: "v3.200.0\n"},
		awsCmd:     {stdout: "aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0-1014-aws exe/x86_64.ubuntu.22 prompt/off\n"},
		kubectlCmd: {stdout: `{"clientVersion":{"major":"1","minor":"32","gitVersion":"v1.32.4-dispatcher","platform":"linux/amd64"},"kustomizeVersion":"v5.5.0"}`},
	}
}

func TestTools(t *testing.T) {
	exitErr := errors.New("exit status 1")
	tests := []struct {
		name string
		cmd  string
		out  *output // nil: not on PATH
		want preflight.Result
	}{
		{
			name: "pulumi v3",
			cmd:  pulumiCmd, out: &output{stdout: "v3.200.0\n"},
			want: preflight.Result{Check: "Pulumi CLI v3", Status: preflight.StatusOK, Found: "v3.200.0"},
		},
		{
			name: "pulumi pre-release",
			cmd:  pulumiCmd, out: &output{stdout: "v3.201.0-alpha.1760000000\n", stderr: "warning: A new version of Pulumi is available.\n"},
			want: preflight.Result{Check: "Pulumi CLI v3", Status: preflight.StatusOK, Found: "v3.201.0-alpha.1760000000"},
		},
		{
			name: "pulumi v2",
			cmd:  pulumiCmd, out: &output{stdout: "v2.25.2\n"},
			want: preflight.Result{Check: "Pulumi CLI v3", Status: preflight.StatusFail, Found: "v2.25.2",
				Fix: "this program uses the Pulumi v3 SDK; install the Pulumi CLI: https://www.pulumi.com/docs/iac/download-install/"},
		},
		{
			name: "pulumi missing",
			cmd:  pulumiCmd,
			want: preflight.Result{Check: "Pulumi CLI v3", Status: preflight.StatusFail, Found: "pulumi not found on PATH",
				Fix: "install the Pulumi CLI: https://www.pulumi.com/docs/iac/download-install/"},
		},
		{
			name: "pulumi fails",
			cmd:  pulumiCmd, out: &output{stderr: "error: could not read plugin cache\nmore\n", err: exitErr},
			want: preflight.Result{Check: "Pulumi CLI v3", Status: preflight.StatusFail,
				Found: "`pulumi version` failed: exit status 1: error: could not read plugin cache",
				Fix:   "repair or reinstall it; install the Pulumi CLI: https://www.pulumi.com/docs/iac/download-install/"},
		},
		{
			name: "pulumi prints no version",
			cmd:  pulumiCmd, out: &output{stdout: "dev\n"},
			want: preflight.Result{Check: "Pulumi CLI v3", Status: preflight.StatusFail, Found: `unreadable version "dev"`,
				Fix: "install the Pulumi CLI: https://www.pulumi.com/docs/iac/download-install/"},
		},
		{
			name: "aws cli v2",
			cmd:  awsCmd, out: &output{stdout: "aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0 exe/x86_64\n"},
			want: preflight.Result{Check: "AWS CLI v2", Status: preflight.StatusOK, Found: "aws-cli/2.15.0"},
		},
		{
			name: "aws cli v1",
			cmd:  awsCmd, out: &output{stdout: "aws-cli/1.45.11 Python/3.12.3 Linux/6.8.0-1021-aws botocore/1.37.11\n"},
			want: preflight.Result{Check: "AWS CLI v2", Status: preflight.StatusFail, Found: "aws-cli/1.45.11",
				Fix: "the stack's kubeconfig runs `aws eks get-token`, and this project supports only AWS CLI v2; install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"},
		},
		{
			name: "aws cli v1 printing to stderr",
			cmd:  awsCmd, out: &output{stderr: "aws-cli/1.16.300 Python/2.7.16 Darwin/19.6.0 botocore/1.13.36\n"},
			want: preflight.Result{Check: "AWS CLI v2", Status: preflight.StatusFail, Found: "aws-cli/1.16.300",
				Fix: "the stack's kubeconfig runs `aws eks get-token`, and this project supports only AWS CLI v2; install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"},
		},
		{
			name: "aws cli v2 older than pulumi-eks accepts",
			cmd:  awsCmd, out: &output{stdout: "aws-cli/2.6.4 Python/3.9.11 Linux/5.15.0 exe/x86_64\n"},
			want: preflight.Result{Check: "AWS CLI v2", Status: preflight.StatusFail, Found: "aws-cli/2.6.4",
				Fix: "pulumi-eks needs at least v2.7.0; install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"},
		},
		{
			name: "aws cli missing",
			cmd:  awsCmd,
			want: preflight.Result{Check: "AWS CLI v2", Status: preflight.StatusFail, Found: "aws not found on PATH",
				Fix: "install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"},
		},
		{
			name: "kubectl with a vendor suffix",
			cmd:  kubectlCmd, out: &output{stdout: `{"clientVersion":{"major":"1","minor":"32","gitVersion":"v1.32.4-dispatcher"}}`},
			want: preflight.Result{Check: "kubectl >= 1.24", Status: preflight.StatusOK, Found: "v1.32.4-dispatcher"},
		},
		{
			name: "kubectl exactly 1.24",
			cmd:  kubectlCmd, out: &output{stdout: `{"clientVersion":{"major":"1","minor":"24","gitVersion":"v1.24.0"}}`},
			want: preflight.Result{Check: "kubectl >= 1.24", Status: preflight.StatusOK, Found: "v1.24.0"},
		},
		{
			name: "kubectl without gitVersion",
			cmd:  kubectlCmd, out: &output{stdout: `{"clientVersion":{"major":"1","minor":"30+"}}`},
			want: preflight.Result{Check: "kubectl >= 1.24", Status: preflight.StatusOK, Found: "1.30+"},
		},
		{
			name: "kubectl too old",
			cmd:  kubectlCmd, out: &output{stdout: `{"clientVersion":{"major":"1","minor":"23","gitVersion":"v1.23.17"}}`},
			want: preflight.Result{Check: "kubectl >= 1.24", Status: preflight.StatusFail, Found: "v1.23.17",
				Fix: "install kubectl 1.24 or later: https://kubernetes.io/docs/tasks/tools/"},
		},
		{
			name: "kubectl prints no JSON",
			cmd:  kubectlCmd, out: &output{stdout: "Client Version: v1.32.4\n"},
			want: preflight.Result{Check: "kubectl >= 1.24", Status: preflight.StatusFail, Found: `unreadable version output "Client Version: v1.32.4"`,
				Fix: "install kubectl 1.24 or later: https://kubernetes.io/docs/tasks/tools/"},
		},
		{
			name: "kubectl JSON without a version",
			cmd:  kubectlCmd, out: &output{stdout: `{"kustomizeVersion":"v5.5.0"}`},
			want: preflight.Result{Check: "kubectl >= 1.24", Status: preflight.StatusFail, Found: `unreadable version output "{\"kustomizeVersion\":\"v5.5.0\"}"`,
				Fix: "install kubectl 1.24 or later: https://kubernetes.io/docs/tasks/tools/"},
		},
		{
			name: "kubectl missing",
			cmd:  kubectlCmd,
			want: preflight.Result{Check: "kubectl >= 1.24", Status: preflight.StatusFail, Found: "kubectl not found on PATH",
				Fix: "install kubectl 1.24 or later: https://kubernetes.io/docs/tasks/tools/"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goodTools()
			delete(r, tt.cmd)
			if tt.out != nil {
				r[tt.cmd] = *tt.out
			}
			results := preflight.Tools(context.Background(), r)
			require.Len(t, results, 3)
			for _, res := range results {
				if res.Check == tt.want.Check {
					require.Equal(t, tt.want, res)
					continue
				}
				require.Equalf(t, preflight.StatusOK, res.Status, "the other tools are fine: %+v", res)
			}
		})
	}
}
