package savings

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/savings/images"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// Images is what the report knows of the workload's images and what the Graviton saving rests on.
type Images struct {
	// Mode is how the images were read: auto, registry, assume or file.
	Mode string `json:"mode"`
	// File is the images file (mode file) or the cache the registries' answers were kept in.
	File string `json:"file,omitempty"`
	// Images are the workload's distinct images, each with its status: multi-arch, amd64-only, arm64-only, or
	// assumed-multi-arch with the reason it was not read.
	Images []images.Image `json:"images"`
	// Graviton splits the Graviton saving into what pods of verified images carry and what rests on pods with an
	// assumed image; absent from `savings live`.
	Graviton *GravitonSplit `json:"graviton,omitempty"`
	// Note says in a sentence what the estimate did with the images.
	Note string `json:"note"`
}

// GravitonSplit is the Graviton saving split by what it rests on.
type GravitonSplit struct {
	// Verified is the part pods whose images were read carry: Graviton measured with every pod that has an assumed
	// image kept on amd64.
	Verified Amount `json:"verified"`
	// Assumed is the rest, which holds only if the assumed images do run on arm64.
	Assumed Amount `json:"assumed"`
	// AssumedAMD64HourlyUSD is the multiarch-on-demand step's steady state with every pod that has an assumed image
	// on amd64; zero when no pod has one and no such pass was run.
	AssumedAMD64HourlyUSD float64 `json:"assumedAMD64HourlyUSD,omitempty"`
	Note                  string  `json:"note"`
}

// imageMarks is what the workload's images did to its pods.
type imageMarks struct {
	// pinned are the images that keep each workload on one architecture (its pods offer no other).
	pinned map[workload.Owner][]string
	// assumed are each workload's images that were not read, for workloads not pinned.
	assumed map[workload.Owner][]string
}

// markImages pins every pod an image of which runs on one architecture only to that architecture, as a nodeSelector
// kubernetes.io/arch would, and returns the pods (copies where changed) and what it did. A pod whose manifest
// requires the other architecture is an error: a cluster would crash its container with exec format error.
func markImages(pods []*corev1.Pod, daemons bool, res *images.Result, marks *imageMarks) ([]*corev1.Pod, error) {
	out := make([]*corev1.Pod, len(pods))
	for i, p := range pods {
		owner := imageOwner(p, daemons)
		arches := []string{karpv1.ArchitectureAmd64, karpv1.ArchitectureArm64}
		var limiting, assumed []string
		for _, ref := range podImages(p) {
			img, ok := res.Lookup(ref)
			if !ok {
				return nil, fmt.Errorf("savings: %s %s/%s: image %s was not looked up", owner.Kind, owner.Namespace, owner.Name, ref)
			}
			if !img.Verified() {
				assumed = append(assumed, ref)
				continue
			}
			before := len(arches)
			arches = slices.DeleteFunc(arches, func(a string) bool { return !img.Runs(a) })
			if len(arches) < before || img.Status != images.MultiArch {
				limiting = append(limiting, ref)
			}
		}
		out[i] = p
		switch len(arches) {
		case 0:
			return nil, fmt.Errorf("savings: %s %s/%s: its images %s share no architecture: no node could run the pod",
				owner.Kind, owner.Namespace, owner.Name, strings.Join(limiting, ", "))
		case 1:
			if !archAllowed(p, arches[0]) {
				return nil, fmt.Errorf("savings: %s %s/%s: image(s) %s run on %s only, but the pod's nodeSelector or node affinity excludes %s; "+
					"on a cluster its containers would fail with exec format error", owner.Kind, owner.Namespace, owner.Name,
					strings.Join(limiting, ", "), arches[0], arches[0])
			}
			out[i] = pinnedTo(p, arches[0])
			if marks != nil {
				marks.pinned[owner] = limiting
			}
		default:
			if marks != nil && len(assumed) > 0 {
				marks.assumed[owner] = assumed
			}
		}
	}
	return out, nil
}

// pinnedTo is a copy of p with the nodeSelector kubernetes.io/arch=arch, as if its manifest had it.
func pinnedTo(p *corev1.Pod, arch string) *corev1.Pod {
	cp := p.DeepCopy()
	if cp.Spec.NodeSelector == nil {
		cp.Spec.NodeSelector = map[string]string{}
	}
	cp.Spec.NodeSelector[corev1.LabelArchStable] = arch
	return cp
}

// imageOwner is the workload p belongs to. A DaemonSet's pod is built as Karpenter builds it (daemonset.PodForDaemonSet):
// named after the DaemonSet, with no controller reference, so workload.OwnerOf would call it a bare Pod, in errors and
// in the marks.
func imageOwner(p *corev1.Pod, daemons bool) workload.Owner {
	o := workload.OwnerOf(p)
	if daemons && o.Kind == "Pod" {
		o.Kind = "DaemonSet"
	}
	return o
}

// archAllowed says whether some required node-affinity term of p (with its nodeSelector) admits arch.
func archAllowed(p *corev1.Pod, arch string) bool {
	for _, term := range podTerms(p) {
		if term.Get(corev1.LabelArchStable).Has(arch) {
			return true
		}
	}
	return false
}

// podImages lists p's init and app container images, each once.
func podImages(p *corev1.Pod) []string {
	var out []string
	for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for _, c := range cs {
			if c.Image != "" && !slices.Contains(out, c.Image) {
				out = append(out, c.Image)
			}
		}
	}
	return out
}

// assumedOnAMD64 returns pods with every pod that has an assumed image pinned to amd64, and whether any was.
func assumedOnAMD64(pods []*corev1.Pod, marks imageMarks) ([]*corev1.Pod, bool) {
	out := make([]*corev1.Pod, len(pods))
	changed := false
	for i, p := range pods {
		out[i] = p
		if _, ok := marks.assumed[imageOwner(p, false)]; !ok || !archAllowed(p, karpv1.ArchitectureAmd64) {
			continue
		}
		out[i] = pinnedTo(p, karpv1.ArchitectureAmd64)
		changed = true
	}
	return out, changed
}

// ImagesNote says in a sentence what the estimate did with res: how many images were read, pinned or assumed.
func ImagesNote(res *images.Result) string {
	var multi, amd, arm []string
	cached := 0
	for _, img := range res.Images {
		if strings.HasPrefix(img.Source, "cache ") {
			cached++
		}
		switch img.Status {
		case images.MultiArch:
			multi = append(multi, img.Reference)
		case images.AMD64Only:
			amd = append(amd, img.Reference)
		case images.ARM64Only:
			arm = append(arm, img.Reference)
		}
	}
	assumed := res.Assumed()
	from := map[string]string{
		images.ModeAuto:     "from their registries (--images auto)",
		images.ModeRegistry: "from their registries (--images registry)",
		images.ModeAssume:   "not read (--images assume)",
		images.ModeFile:     "from the images file " + res.File,
	}[res.Mode]
	if cached > 0 {
		from += fmt.Sprintf(", %d of them kept in the cache %s", cached, res.File)
	}
	s := fmt.Sprintf("%d image(s), platforms %s: %d multi-arch, %d amd64-only, %d arm64-only, %d assumed multi-arch.",
		len(res.Images), from, len(multi), len(amd), len(arm), len(assumed))
	if len(amd)+len(arm) > 0 {
		s += " A pod with an image of one architecture runs on that architecture only in every scenario, as a nodeSelector kubernetes.io/arch would make it."
	}
	if len(assumed) > 0 {
		s += " Assumed to run on arm64, unverified: " + strings.Join(assumed, ", ") + "."
	}
	return s
}

// gravitonSplit splits the Graviton saving (onDemandAMD64 - onDemand) at assumedAMD64, the on-demand step with the
// pods of assumed images on amd64; ran says whether that pass ran (no pod has an assumed image otherwise).
func gravitonSplit(onDemandAMD64, onDemand, assumedAMD64, baseline float64, ran, daemons bool) *GravitonSplit {
	const daemonsNote = " DaemonSets with an image assumed multi-arch stay on every node in both: they cost the same whether or not it runs on arm64."
	if !ran {
		g := &GravitonSplit{
			Verified: NewAmount(onDemandAMD64-onDemand, baseline),
			Assumed:  NewAmount(0, baseline),
			Note:     "No pod has an image assumed multi-arch: the whole Graviton saving rests on images read from their registries or the images file.",
		}
		if daemons {
			g.Note = "No pod outside a DaemonSet has an image assumed multi-arch: the whole Graviton saving holds whether or not the assumed images run on arm64." +
				" A DaemonSet's pods are on every node either way; on arm64 nodes they would fail if its image does not run there."
		}
		return g
	}
	g := &GravitonSplit{
		Verified:              NewAmount(onDemandAMD64-assumedAMD64, baseline),
		Assumed:               NewAmount(assumedAMD64-onDemand, baseline),
		AssumedAMD64HourlyUSD: round6(assumedAMD64),
	}
	g.Note = fmt.Sprintf("Graviton saving, $%.2f/month: $%.2f/month with every pod of an assumed image kept on amd64 (the %s step scheduled again so, "+
		"$%.4f/h), and $%.2f/month more if the assumed images run on arm64.",
		round6((onDemandAMD64-onDemand)*HoursPerMonth), g.Verified.MonthlyUSD, stepOnDemand, g.AssumedAMD64HourlyUSD, g.Assumed.MonthlyUSD)
	if daemons {
		g.Note += daemonsNote
	}
	return g
}

// assumedOnAMD64 is the workload's pods with every pod of an assumed image on amd64, and whether any pod has one.
// DaemonSets are left as they are: whether or not their image runs on arm64, their pods are on every node the
// manifest lets them (crashing, on arm64, when it does not), so pinning them would take their cost off the arm64
// nodes and make the Graviton saving without the assumption larger than with it.
func (e *estimator) assumedOnAMD64() ([]*corev1.Pod, bool) {
	return assumedOnAMD64(e.pods, e.marks)
}

// assumedDaemonSets says whether some DaemonSet has an image assumed multi-arch.
func (e *estimator) assumedDaemonSets() bool {
	for o := range e.marks.assumed {
		if o.Kind == "DaemonSet" {
			return true
		}
	}
	return false
}

// imagesReport is the report's images section; nil when the estimate read no images.
func (e *estimator) imagesReport() *Images {
	res := e.o.Images
	if res == nil {
		return nil
	}
	return &Images{Mode: res.Mode, File: res.File, Images: slices.Clone(res.Images), Note: ImagesNote(res)}
}
