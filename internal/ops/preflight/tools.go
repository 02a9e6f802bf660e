package preflight

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Runner runs a local command and returns what it printed; the command uses ExecRunner, tests a fake.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) (stdout, stderr string, err error)
}

// ExecRunner runs commands found on PATH.
type ExecRunner struct{}

// Run runs name with args and returns its stdout and stderr.
func (ExecRunner) Run(ctx context.Context, name string, args ...string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	// #nosec G204 -- the names and arguments are the fixed version commands of the tool checks below.
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// commandTimeout bounds each version command; `pulumi version` may look for updates over the network.
const commandTimeout = 30 * time.Second

// Where to install each tool from.
const (
	installPulumi  = "install the Pulumi CLI: https://www.pulumi.com/docs/iac/download-install/"
	installAWSCLI  = "install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
	installKubectl = "install kubectl 1.24 or later: https://kubernetes.io/docs/tasks/tools/"
)

// The oldest versions pulumi-eks accepts: its Cluster runs `aws --version` and `kubectl version --client
// --output=json` at preview and fails below these (pulumi-eks v2.8.1, nodejs/eks/dependencies.ts, minKubectlVersion
// and minAWSCLIV2Version, checked by assertCompatibleKubectlVersionExists and assertCompatibleAWSCLIExists, which
// cluster.ts createCore calls).
// It would also accept AWS CLI v1 from 1.24.0; this project supports only v2.
var (
	minKubectl  = version{major: 1, minor: 24}
	minAWSCLIv2 = version{major: 2, minor: 7}
)

// Tools checks the Pulumi CLI, AWS CLI v2 and kubectl, and reports the versions found.
func Tools(ctx context.Context, r Runner) []Result {
	return []Result{checkPulumi(ctx, r), checkAWSCLI(ctx, r), checkKubectl(ctx, r)}
}

func checkPulumi(ctx context.Context, r Runner) Result {
	res := Result{Check: "Pulumi CLI v3"}
	stdout, _, done := runTool(ctx, r, &res, installPulumi, "pulumi", "version")
	if done {
		return res
	}
	found := strings.TrimSpace(firstLine(stdout))
	v, parsed := parseVersion(found)
	switch {
	case !parsed:
		return failed(res, fmt.Sprintf("unreadable version %q", found), installPulumi)
	case v.major != 3:
		return failed(res, found, "this program uses the Pulumi v3 SDK; "+installPulumi)
	}
	return passed(res, found)
}

// awsCLIPattern reads `aws --version`, e.g. "aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0 exe/x86_64".
var awsCLIPattern = regexp.MustCompile(`aws-cli/(\d+)\.(\d+)\.(\d+)`)

func checkAWSCLI(ctx context.Context, r Runner) Result {
	res := Result{Check: "AWS CLI v2"}
	stdout, stderr, done := runTool(ctx, r, &res, installAWSCLI, "aws", "--version")
	if done {
		return res
	}
	// AWS CLI v1 on Python 2 printed its version to stderr.
	out := stdout + "\n" + stderr
	m := awsCLIPattern.FindStringSubmatch(out)
	if m == nil {
		return failed(res, fmt.Sprintf("unreadable version %q", firstLine(strings.TrimSpace(out))), installAWSCLI)
	}
	found := m[0]
	v := version{major: atoi(m[1]), minor: atoi(m[2]), patch: atoi(m[3])}
	switch {
	case v.major < 2:
		return failed(res, found, "the stack's kubeconfig runs `aws eks get-token`, and this project supports only AWS CLI v2; "+installAWSCLI)
	case !v.atLeast(minAWSCLIv2):
		return failed(res, found, "pulumi-eks needs at least "+minAWSCLIv2.String()+"; "+installAWSCLI)
	}
	return passed(res, found)
}

// kubectlVersion is the part of `kubectl version --client -o json` the check reads.
type kubectlVersion struct {
	ClientVersion struct {
		Major      string `json:"major"`
		Minor      string `json:"minor"`
		GitVersion string `json:"gitVersion"`
	} `json:"clientVersion"`
}

func checkKubectl(ctx context.Context, r Runner) Result {
	res := Result{Check: "kubectl >= " + minKubectl.minorString()}
	stdout, _, done := runTool(ctx, r, &res, installKubectl, "kubectl", "version", "--client", "-o", "json")
	if done {
		return res
	}
	var kv kubectlVersion
	if err := json.Unmarshal([]byte(stdout), &kv); err != nil {
		return failed(res, fmt.Sprintf("unreadable version output %q", firstLine(stdout)), installKubectl)
	}
	v, parsed := parseVersion(kv.ClientVersion.GitVersion)
	found := kv.ClientVersion.GitVersion
	if !parsed {
		// Some distributions leave gitVersion empty; minor may read "32+".
		v = version{major: atoi(kv.ClientVersion.Major), minor: atoi(strings.TrimRight(kv.ClientVersion.Minor, "+"))}
		found = kv.ClientVersion.Major + "." + kv.ClientVersion.Minor
		if v.major == 0 {
			return failed(res, fmt.Sprintf("unreadable version output %q", firstLine(stdout)), installKubectl)
		}
	}
	if !v.atLeast(minKubectl) {
		return failed(res, found, installKubectl)
	}
	return passed(res, found)
}

// runTool runs a version command; when the command cannot run or fails, it fills res as failed and returns done.
func runTool(ctx context.Context, r Runner, res *Result, install, name string, args ...string) (stdout, stderr string, done bool) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	stdout, stderr, err := r.Run(ctx, name, args...)
	switch {
	case errors.Is(err, exec.ErrNotFound):
		*res = failed(*res, name+" not found on PATH", install)
		return "", "", true
	case err != nil:
		cmdline := strings.Join(append([]string{name}, args...), " ")
		found := fmt.Sprintf("`%s` failed: %v", cmdline, err)
		if msg := firstLine(strings.TrimSpace(stderr)); msg != "" {
			found += ": " + msg
		}
		*res = failed(*res, found, "repair or reinstall it; "+install)
		return "", "", true
	}
	return stdout, stderr, false
}

func passed(res Result, found string) Result {
	res.Status, res.Found, res.Fix = StatusOK, found, ""
	return res
}

func failed(res Result, found, fix string) Result {
	res.Status, res.Found, res.Fix = StatusFail, found, fix
	return res
}

// version is a release number, as far as the checks compare it.
type version struct{ major, minor, patch int }

// versionPattern finds the first dotted release number, with or without a leading v: "v3.200.0",
// "v1.32.4-dispatcher", "1.24".
var versionPattern = regexp.MustCompile(`v?(\d+)\.(\d+)(?:\.(\d+))?`)

func parseVersion(s string) (version, bool) {
	m := versionPattern.FindStringSubmatch(s)
	if m == nil {
		return version{}, false
	}
	return version{major: atoi(m[1]), minor: atoi(m[2]), patch: atoi(m[3])}, true
}

func (v version) atLeast(o version) bool {
	if v.major != o.major {
		return v.major > o.major
	}
	if v.minor != o.minor {
		return v.minor > o.minor
	}
	return v.patch >= o.patch
}

func (v version) String() string { return fmt.Sprintf("v%d.%d.%d", v.major, v.minor, v.patch) }

func (v version) minorString() string { return fmt.Sprintf("%d.%d", v.major, v.minor) }

// atoi reads a run of digits the patterns above matched; an empty optional group reads as 0.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
