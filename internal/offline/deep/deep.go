// Package deep adds to an offline render what its Helm releases install: each chart that is available offline
// (Karpenter's, from the pinned karpenter-provider-aws module) is rendered by Helm's Go SDK with the exact values
// and namespace the stack passes and the stack's Kubernetes version as capabilities; a chart that is not available
// offline is named in the render's notes, not guessed.
package deep

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"

	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks"
	"github.com/karpenter-savings/karpenter-savings/internal/offline/mocks/yamlv2"
	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

// karpenterModule ships the karpenter and karpenter-crd charts at the version go.mod pins.
const karpenterModule = "github.com/aws/karpenter-provider-aws"

// Charts finds a chart's directory for a chart reference and version; ok is false when it is not available offline.
type Charts func(chart, version string) (dir string, ok bool)

// ModuleCharts finds Karpenter's OCI charts in the module cache, at the version of karpenter-provider-aws go.mod
// pins (as `go list -m` reports it from dir, the project directory): the charts, the Go types and the CRDs then
// come from one release.
func ModuleCharts(dir string) (Charts, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}} {{.Dir}}", karpenterModule)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("deep: locating %s in the module cache (go list -m): %w", karpenterModule, err)
	}
	version, moduleDir, ok := strings.Cut(strings.TrimSpace(string(out)), " ")
	if !ok || moduleDir == "" {
		return nil, fmt.Errorf("deep: %s is not downloaded; run go mod download", karpenterModule)
	}
	root := filepath.Join(moduleDir, "charts")
	return func(chart, chartVersion string) (string, bool) {
		if !strings.HasPrefix(chart, "oci://public.ecr.aws/karpenter/") || "v"+chartVersion != version {
			return "", false
		}
		dir := filepath.Join(root, path.Base(chart))
		if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
			return "", false
		}
		return dir, true
	}, nil
}

// Expand renders every Helm release of rec whose chart charts can find, and adds each object it installs as a child
// of the release (marked emulated: Helm, not Pulumi, manages them; a namespaced object without a namespace is in
// the release's namespace, as Helm installs it). Releases whose chart is not available offline get a note.
func Expand(rec *mocks.Recording, kubeVersion string, charts Charts) error {
	var added []mocks.Resource
	for _, r := range rec.ByType(pulumik8s.ReleaseType) {
		chart, _ := r.Inputs["chart"].(string)
		version, _ := r.Inputs["version"].(string)
		dir, ok := charts(chart, version)
		if !ok {
			rec.Notes = append(rec.Notes, fmt.Sprintf("%s %s: chart %s %s is not available offline, so the objects it installs are not shown", pulumik8s.ReleaseType, r.Name, chart, version))
			continue
		}
		children, err := render(r, dir, kubeVersion)
		if err != nil {
			return err
		}
		added = append(added, children...)
	}
	rec.Resources = append(rec.Resources, added...)
	return nil
}

// render renders one release's chart and returns its objects as children of the release.
func render(release mocks.Resource, dir, kubeVersion string) ([]mocks.Resource, error) {
	name, _ := release.Inputs["name"].(string)
	namespace, _ := release.Inputs["namespace"].(string)
	values, _ := release.Inputs["values"].(map[string]any)
	chrt, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("deep: release %s: %w", release.Name, err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = chartutil.KubeVersion{Version: "v" + kubeVersion + ".0", Major: "1", Minor: strings.TrimPrefix(kubeVersion, "1.")}
	vals, err := chartutil.ToRenderValues(chrt, values, chartutil.ReleaseOptions{Name: name, Namespace: namespace, Revision: 1, IsInstall: true}, caps)
	if err != nil {
		return nil, fmt.Errorf("deep: release %s: values: %w", release.Name, err)
	}
	manifests, err := engine.Render(chrt, vals)
	if err != nil {
		return nil, fmt.Errorf("deep: release %s: %w", release.Name, err)
	}
	var out []mocks.Resource
	for _, file := range slices.Sorted(maps.Keys(manifests)) {
		text := manifests[file]
		if strings.HasSuffix(file, "NOTES.txt") || strings.TrimSpace(text) == "" {
			continue
		}
		children, err := yamlv2.Children(release, []byte(text), namespace)
		if err != nil {
			return nil, fmt.Errorf("deep: release %s, %s: %w", release.Name, file, err)
		}
		out = append(out, children...)
	}
	return out, nil
}
