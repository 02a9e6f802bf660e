package savings

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/scheduling"
	"sigs.k8s.io/yaml"

	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// maxImageAdvice bounds how many amd64-only workloads (or groups of workloads that share their amd64-only images) get
// a scheduling pass of their own; the largest come first.
const maxImageAdvice = 10

// preferArm64Weight is the weight of the advised preference; Karpenter tries the heaviest preference first.
const preferArm64Weight = 100

// Advice is what the estimate suggests changing in the workload. Every figure comes from re-running Karpenter's
// scheduler and consolidation on the multiarch scenario with the change made, and is measured against the steady
// state of multiarch as declared.
type Advice struct {
	// PreferArm64 is set when arm-capable workloads landed on amd64 and preferring arm64 saves money.
	PreferArm64 *PreferArm64 `json:"preferArm64,omitempty"`
	// MultiArchImages are the amd64-only workloads, with what building a multi-arch image (and preferring arm64)
	// would save each.
	MultiArchImages []ImageAdvice `json:"multiArchImages"`
	// Notes say what was not tried, or tried without a saving.
	Notes []string `json:"notes,omitempty"`
	// Bound compares multiarch's steady state with the lower bound; absent when the bound is zero.
	Bound *BoundGap `json:"bound,omitempty"`
}

// TargetBoundRatio is how far above the constraint-aware lower bound the stack's pools should run a workload at
// their steady state; beyond it, the report says so and what the advice would reach.
const TargetBoundRatio = 1.5

// BoundGap is multiarch's steady state against the lower bound, and the best the advised workload changes reach.
type BoundGap struct {
	Ratio float64 `json:"ratio"`
	// AdvisedRatio is the lowest ratio an advised change that saves reaches, each against the bound of the workload
	// so changed (an image lifts a pin and lowers it; a preference leaves it); equal to Ratio when none saves.
	AdvisedRatio float64 `json:"advisedRatio"`
	Target       float64 `json:"target"`
	Note         string  `json:"note"`
	// Specialized are multiarch's steady-state nodes of accelerated or storage-dense types that run pods requesting
	// no accelerator, part of what the gap is made of; the note says so.
	Specialized []SpecializedNodes `json:"specialized,omitempty"`
}

// boundGap measures multiarch's steady state, hourly, against the lower bound, with the best advice applied.
func boundGap(a Advice, hourly, lowerBound float64) *BoundGap {
	if lowerBound <= 0 {
		return nil
	}
	// A preference constrains no pod, so the workload's bound stands; an image lifts a pin, and the changed workload
	// is measured against its own bound, so that the ratio says how far the changed cluster is from the least the
	// changed workload could cost.
	// With bounds that differ, the change that saves most need not come nearest its bound: the one reported is the
	// saving change with the lowest ratio.
	advised, what, against := hourly/lowerBound, "", ""
	if p := a.PreferArm64; p != nil && p.Saving.HourlyUSD > 0 {
		advised, what = (hourly-p.Saving.HourlyUSD)/lowerBound, "preferring arm64"
	}
	for _, m := range a.MultiArchImages {
		if m.Saving.HourlyUSD <= 0 || m.LowerBoundHourlyUSD <= 0 {
			continue
		}
		if r := (hourly - m.Saving.HourlyUSD) / m.LowerBoundHourlyUSD; what == "" || r < advised {
			advised, what = r, fmt.Sprintf("a multi-arch image for %s %s/%s", m.Kind, m.Namespace, m.Name)
			if len(m.Images) > 0 {
				what = fmt.Sprintf("a multi-arch build of %s for %s %s/%s", strings.Join(m.Images, " + "), m.Kind, m.Namespace, m.Name)
			}
			against = fmt.Sprintf(" the lower bound of the workload so changed ($%.4f/h)", m.LowerBoundHourlyUSD)
		}
	}
	g := &BoundGap{Ratio: round6(hourly / lowerBound), AdvisedRatio: round6(advised), Target: TargetBoundRatio}
	switch {
	case g.Ratio <= g.Target:
		g.Note = fmt.Sprintf("multiarch's steady state is %.2f× the lower bound, within the %.1f× target.", g.Ratio, g.Target)
	case g.AdvisedRatio <= g.Target:
		g.Note = fmt.Sprintf("multiarch's steady state is %.2f× the lower bound, over the %.1f× target; %s brings it to %.2f×%s.", g.Ratio, g.Target, what, g.AdvisedRatio, against)
	case what != "":
		g.Note = fmt.Sprintf("multiarch's steady state is %.2f× the lower bound, over the %.1f× target; the best advised change, %s, brings it to %.2f×%s, "+
			"still over. The estimate tries workload changes only, not changes to the node pools.", g.Ratio, g.Target, what, g.AdvisedRatio, against)
	default:
		g.Note = fmt.Sprintf("multiarch's steady state is %.2f× the lower bound, over the %.1f× target, and no advised workload change saves; "+
			"the estimate tries workload changes only, not changes to the node pools.", g.Ratio, g.Target)
	}
	return g
}

// PreferArm64 is the advice to add an arm64 preference to workloads that could run on arm64 but landed on amd64:
// Karpenter fills an amd64 NodeClaim an amd64-only pod opened with any pod that fits, whatever the pools' weights,
// unless the pod prefers arm64.
type PreferArm64 struct {
	Workloads []AdvisedWorkload `json:"workloads"`
	// MultiarchHourlyUSD and MultiarchMonthlyUSD are what the multiarch scenario costs with the preference.
	MultiarchHourlyUSD  float64 `json:"multiarchHourlyUSD"`
	MultiarchMonthlyUSD float64 `json:"multiarchMonthlyUSD"`
	Saving              Amount  `json:"saving"`
	// YAML is what to add to each workload's manifest.
	YAML string `json:"yaml"`
}

// AdvisedWorkload is a workload the advice changes, with its pods on amd64 before and after.
type AdvisedWorkload struct {
	Kind        string `json:"kind"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	Pods        int    `json:"pods"`
	AMD64Before int    `json:"amd64PodsBefore"`
	AMD64After  int    `json:"amd64PodsAfter"`
}

// ImageAdvice is what one amd64-only workload would save with a multi-arch image and an arm64 preference. When
// its images were read, it is what multi-arch builds of those images would save, for every workload they pin.
type ImageAdvice struct {
	// Kind, Namespace and Name are the workload, or the largest of the workloads the images pin.
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Images are the amd64-only images the run allows on arm64; absent when the pin is the manifest's own.
	Images []string `json:"images,omitempty"`
	// Workloads are every workload the images pin, when there is more than one.
	Workloads []WorkloadPods `json:"workloads,omitempty"`
	Pods      int            `json:"pods"`
	// ARM64After is how many of its pods Karpenter then puts on arm64.
	ARM64After int    `json:"arm64PodsAfter"`
	Saving     Amount `json:"saving"`
	// LowerBoundHourlyUSD is the lower bound of the workload with this change: the image lifts the pods' amd64 pin,
	// so they may run on more offerings and the bound falls. The bound gap measures the change against it.
	LowerBoundHourlyUSD float64 `json:"lowerBoundHourlyUSD"`
}

// advise re-runs the multiarch scenario with the advised changes.
func (e *estimator) advise(ctx context.Context, multiarch Scenario, nodePools, boundPools []*karpv1.NodePool, baselineHourly float64) (Advice, error) {
	byOwner := map[workload.Owner][]int{}
	var owners []workload.Owner
	for i, p := range e.pods {
		o := workload.OwnerOf(p)
		if _, ok := byOwner[o]; !ok {
			owners = append(owners, o)
		}
		byOwner[o] = append(byOwner[o], i)
	}
	slices.SortFunc(owners, compareOwners)
	onAMD64 := archPods(multiarch.Nodes, karpv1.ArchitectureAmd64)

	var movable, pinned []workload.Owner
	byImages := map[string][]workload.Owner{}
	for _, o := range owners {
		p := e.pods[byOwner[o][0]]
		// Pinned to amd64 when every required node-affinity term is (Karpenter falls back to the next term).
		amd64Only := true
		for _, term := range podTerms(p) {
			arch := term.Get(corev1.LabelArchStable)
			amd64Only = amd64Only && !arch.Has(karpv1.ArchitectureArm64) && arch.Has(karpv1.ArchitectureAmd64)
		}
		imgs, byImage := e.marks.pinned[o]
		switch {
		case amd64Only && byImage:
			// Workloads pinned by the same images are freed together by their multi-arch builds: one run.
			key := strings.Join(imgs, " ")
			if _, ok := byImages[key]; !ok {
				pinned = append(pinned, o)
			}
			byImages[key] = append(byImages[key], o)
		case amd64Only:
			pinned = append(pinned, o)
		case onAMD64[o] > 0 && e.arm64Possible(ctx, p, nodePools):
			movable = append(movable, o)
		}
	}

	a := Advice{MultiArchImages: []ImageAdvice{}}
	type run struct {
		owners []workload.Owner
		images []string
		strip  bool
	}
	runs := []run{}
	if len(movable) > 0 {
		runs = append(runs, run{owners: movable})
	}
	// Each pinned workload stands for its run: itself, or every workload its amd64-only images pin.
	group := func(o workload.Owner) run {
		imgs, ok := e.marks.pinned[o]
		if !ok {
			return run{owners: []workload.Owner{o}, strip: true}
		}
		g := slices.Clone(byImages[strings.Join(imgs, " ")])
		slices.SortStableFunc(g, func(x, y workload.Owner) int { return cmp.Compare(len(byOwner[y]), len(byOwner[x])) })
		return run{owners: g, images: imgs, strip: true}
	}
	podsOf := func(r run) int {
		n := 0
		for _, o := range r.owners {
			n += len(byOwner[o])
		}
		return n
	}
	pinnedRuns := make([]run, 0, len(pinned))
	for _, o := range pinned {
		pinnedRuns = append(pinnedRuns, group(o))
	}
	slices.SortStableFunc(pinnedRuns, func(x, y run) int { return cmp.Compare(podsOf(y), podsOf(x)) })
	if len(pinnedRuns) > maxImageAdvice {
		var skipped []string
		for _, r := range pinnedRuns[maxImageAdvice:] {
			skipped = append(skipped, r.images...)
		}
		note := fmt.Sprintf("%d more amd64-only workloads (or groups sharing their images) were not tried; only the %d largest get a scheduling pass each.",
			len(pinnedRuns)-maxImageAdvice, maxImageAdvice)
		if len(skipped) > 0 {
			note += " Their amd64-only images, not measured: " + strings.Join(skipped, ", ") + "."
		}
		a.Notes = append(a.Notes, note)
		pinnedRuns = pinnedRuns[:maxImageAdvice]
	}
	runs = append(runs, pinnedRuns...)
	results := make([]Scenario, len(runs))
	bounds := make([]bound, len(runs))
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	for i, r := range runs {
		wg.Go(func() {
			pods := slices.Clone(e.pods)
			for _, o := range r.owners {
				for _, idx := range byOwner[o] {
					pods[idx] = preferArm64(e.pods[idx], r.strip)
				}
			}
			_, settled, err := solve(ctx, e.builder, pools{nodePools: nodePools, classes: e.classes, memo: e.memo}, pods, e.w.DaemonSetPods, e.budgets, e.o.MaxShardPods, true)
			if err == nil && r.strip {
				bounds[i], err = lowerBound(ctx, e.builder, pools{nodePools: boundPools, classes: e.classes, memo: e.memo}, pods)
			}
			errs[i] = err
			// The advice compares steady states: each run consolidated, against multiarch consolidated.
			results[i] = NewScenario(Multiarch, settled, "")
		})
	}
	wg.Wait()
	for i, r := range runs {
		if errs[i] != nil {
			return Advice{}, fmt.Errorf("savings: advice: %w", errs[i])
		}
		saving := multiarch.HourlyUSD - results[i].HourlyUSD
		if !r.strip {
			after := archPods(results[i].Nodes, karpv1.ArchitectureAmd64)
			if saving <= 0 {
				a.Notes = append(a.Notes, fmt.Sprintf("Preferring arm64 for the %d arm-capable workload(s) on amd64 was tried and saves nothing "+
					"(multiarch would cost $%.4f/h instead of $%.4f/h).", len(r.owners), results[i].HourlyUSD, multiarch.HourlyUSD))
				continue
			}
			yml, err := preferArm64YAML()
			if err != nil {
				return Advice{}, err
			}
			pa := &PreferArm64{
				MultiarchHourlyUSD:  results[i].HourlyUSD,
				MultiarchMonthlyUSD: results[i].MonthlyUSD,
				Saving:              NewAmount(saving, baselineHourly),
				YAML:                yml,
			}
			for _, o := range r.owners {
				pa.Workloads = append(pa.Workloads, AdvisedWorkload{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name,
					Pods: len(byOwner[o]), AMD64Before: onAMD64[o], AMD64After: after[o]})
			}
			a.Notes = append(a.Notes, preferArm64Placement(r.owners)...)
			a.PreferArm64 = pa
			continue
		}
		o := r.owners[0]
		onARM64 := archPods(results[i].Nodes, karpv1.ArchitectureArm64)
		ia := ImageAdvice{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name, Images: r.images,
			Saving: NewAmount(saving, baselineHourly), LowerBoundHourlyUSD: round6(bounds[i].hourly)}
		for _, g := range r.owners {
			ia.Pods += len(byOwner[g])
			ia.ARM64After += onARM64[g]
			if len(r.owners) > 1 {
				ia.Workloads = append(ia.Workloads, WorkloadPods{Kind: g.Kind, Namespace: g.Namespace, Name: g.Name, Pods: len(byOwner[g])})
			}
		}
		a.MultiArchImages = append(a.MultiArchImages, ia)
	}
	return a, nil
}

// arm64Possible says whether some pool could launch an arm64 node that holds p.
func (e *estimator) arm64Possible(ctx context.Context, p *corev1.Pod, nps []*karpv1.NodePool) bool {
	for _, np := range nps {
		reqs := scheduling.NewNodeSelectorRequirementsWithMinValues(np.Spec.Template.Spec.Requirements...)
		if !reqs.Get(corev1.LabelArchStable).Has(karpv1.ArchitectureArm64) {
			continue
		}
		nc, ok := e.classes[np.Spec.Template.Spec.NodeClassRef.Name]
		if !ok {
			continue
		}
		for _, it := range capped(e.builder.For(ctx, nc), np.Spec.Limits) {
			if it.Requirements.Get(corev1.LabelArchStable).Has(karpv1.ArchitectureArm64) &&
				reqs.IsCompatible(it.Requirements, scheduling.AllowUndefinedWellKnownLabels) &&
				fits(p, np.Spec.Template.Spec.Taints, it, e.w.DaemonSetPods) {
				return true
			}
		}
	}
	return false
}

// archPods counts each workload's pods on nodes of arch.
func archPods(nodes []Node, arch string) map[workload.Owner]int {
	out := map[workload.Owner]int{}
	for _, n := range nodes {
		if n.Arch != arch {
			continue
		}
		for _, w := range n.Workloads {
			out[workload.Owner{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name}] += w.Pods
		}
	}
	return out
}

// preferArm64 returns a copy of p that prefers arm64 nodes; strip also drops its kubernetes.io/arch requirements,
// as a multi-arch image would allow.
func preferArm64(p *corev1.Pod, strip bool) *corev1.Pod {
	p = p.DeepCopy()
	if strip {
		delete(p.Spec.NodeSelector, corev1.LabelArchStable)
		if na := nodeAffinity(p); na.RequiredDuringSchedulingIgnoredDuringExecution != nil {
			var terms []corev1.NodeSelectorTerm
			for _, t := range na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
				t.MatchExpressions = slices.DeleteFunc(t.MatchExpressions, func(r corev1.NodeSelectorRequirement) bool {
					return r.Key == corev1.LabelArchStable
				})
				if len(t.MatchExpressions) > 0 || len(t.MatchFields) > 0 {
					terms = append(terms, t)
				}
			}
			na.RequiredDuringSchedulingIgnoredDuringExecution = nil
			if len(terms) > 0 {
				na.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{NodeSelectorTerms: terms}
			}
		}
	}
	na := nodeAffinity(p)
	na.PreferredDuringSchedulingIgnoredDuringExecution = append(na.PreferredDuringSchedulingIgnoredDuringExecution, arm64Preference())
	return p
}

// nodeAffinity returns p's node affinity, creating it.
func nodeAffinity(p *corev1.Pod) *corev1.NodeAffinity {
	if p.Spec.Affinity == nil {
		p.Spec.Affinity = &corev1.Affinity{}
	}
	if p.Spec.Affinity.NodeAffinity == nil {
		p.Spec.Affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	return p.Spec.Affinity.NodeAffinity
}

func arm64Preference() corev1.PreferredSchedulingTerm {
	return corev1.PreferredSchedulingTerm{
		Weight: preferArm64Weight,
		Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{
			Key: corev1.LabelArchStable, Operator: corev1.NodeSelectorOpIn, Values: []string{karpv1.ArchitectureArm64},
		}}},
	}
}

// preferArm64Placement says where the preference's fragment goes in the workloads whose pod template is not at
// spec.template: a CronJob's is under spec.jobTemplate, and a bare Pod is its own template.
func preferArm64Placement(owners []workload.Owner) []string {
	var notes []string
	for _, o := range owners {
		switch o.Kind {
		case "CronJob":
			notes = append(notes, fmt.Sprintf("For CronJob %s/%s, the preference's spec.template goes under spec.jobTemplate.spec.", o.Namespace, o.Name))
		case "Pod":
			notes = append(notes, fmt.Sprintf("For Pod %s/%s, the preference's spec.template.spec.affinity goes in the Pod's own spec.", o.Namespace, o.Name))
		}
	}
	return notes
}

// preferArm64YAML is the manifest fragment that adds the preference to a Deployment, StatefulSet or Job.
func preferArm64YAML() (string, error) {
	type podSpec struct {
		Affinity corev1.Affinity `json:"affinity"`
	}
	type template struct {
		Spec podSpec `json:"spec"`
	}
	type spec struct {
		Template template `json:"template"`
	}
	doc := struct {
		Spec spec `json:"spec"`
	}{spec{template{podSpec{corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{arm64Preference()},
	}}}}}}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("savings: advice YAML: %w", err)
	}
	return string(b), nil
}

func compareOwners(a, b workload.Owner) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}
