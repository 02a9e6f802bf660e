package savings

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/karpenter-savings/karpenter-savings/internal/savings/images"
	"github.com/karpenter-savings/karpenter-savings/internal/savings/workload"
)

// WriteTable prints r for people: scenarios, their nodes, the saving by cause, the method and the notes.
func WriteTable(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Karpenter savings: %s.\n", r.Prices.Basis)
	writePrices(&b, r.Prices)
	if w := r.Prices.Warning(); w != "" {
		fmt.Fprintf(&b, "%s\n", w)
	}
	fmt.Fprintf(&b, "Workload: %d pods and %d DaemonSet(s), requesting %.2f vCPU, %.2f GiB, %d GPU.\n",
		r.Workload.Pods, r.Workload.DaemonSets, r.Workload.VCPU, r.Workload.MemoryGiB, r.Workload.GPU)
	if line := ignoredLine(r.Workload.Ignored); line != "" {
		fmt.Fprintln(&b, line)
	}
	writeImages(&b, r.Images)
	b.WriteString("\n")

	base, _ := r.Scenario(Baseline)
	fmt.Fprintf(&b, "%-13s %6s %10s %12s %12s %6s\n", "SCENARIO", "NODES", "$/HOUR", "$/MONTH", "VS BASELINE", "SPOT")
	for _, s := range r.Scenarios {
		nodes := fmt.Sprint(len(s.Nodes))
		if s.Name == LowerBound {
			nodes = "-"
		}
		vs := "-"
		if s.Name != Baseline && base.HourlyUSD > 0 {
			vs = fmt.Sprintf("%+.1f%%", 100*(s.HourlyUSD-base.HourlyUSD)/base.HourlyUSD)
		}
		// The spot share is the steady state's: on the steady row when there is one.
		share := "-"
		if s.SpotShare != nil && s.Consolidated == nil {
			share = fmt.Sprintf("%.0f%%", 100**s.SpotShare)
		} else if s.Consolidated != nil {
			share = ""
		}
		b.WriteString(strings.TrimRight(fmt.Sprintf("%-13s %6s %10.4f %12s %12s %6s", s.Name, nodes, s.HourlyUSD, money(s.MonthlyUSD), vs, share), " ") + "\n")
		if c := s.Consolidated; c != nil {
			vs := "-"
			if base.HourlyUSD > 0 {
				vs = fmt.Sprintf("%+.1f%%", 100*(c.HourlyUSD-base.HourlyUSD)/base.HourlyUSD)
			}
			share := "-"
			if s.SpotShare != nil {
				share = fmt.Sprintf("%.0f%%", 100**s.SpotShare)
			}
			fmt.Fprintf(&b, "%-13s %6d %10.4f %12s %12s %6s\n", "  steady", len(c.Nodes), c.HourlyUSD, money(c.MonthlyUSD), vs, share)
		}
	}
	fmt.Fprintf(&b, "(steady: the scenario once Karpenter's consolidation finds nothing more to do; the row above it is the first scale-up; "+
		"SPOT: the share of the steady state's cost on spot nodes)\n")
	writeSpotSensitivity(&b, r)

	for _, s := range r.Scenarios {
		fmt.Fprintf(&b, "\n%s: %s\n", s.Name, s.Note)
		writeNodes(&b, s.Nodes)
		if c := s.Consolidated; c != nil {
			fmt.Fprintf(&b, "  steady state:\n")
			writeNodes(&b, c.Nodes)
			writeBlocked(&b, c.Nodes)
		}
	}

	if r.PriceFloor.HourlyUSD > 0 {
		fmt.Fprintf(&b, "\nprice floor: $%.4f/h, $%s/month: %s\n", r.PriceFloor.HourlyUSD, money(r.PriceFloor.MonthlyUSD), r.PriceFloor.Note)
	}

	if len(r.BaselineGroups) > 0 {
		fmt.Fprintf(&b, "\nBaseline groups added for pods too big for the baseline's instance types:\n")
		for _, g := range r.BaselineGroups {
			fmt.Fprintf(&b, "  %s beside %s, for %s\n", g.InstanceType, g.Extends, workloadList(g.Workloads))
		}
	}

	fmt.Fprintf(&b, "\nPods by workload: pool/arch/capacity type\n")
	for _, s := range r.Scenarios {
		rows := placementByWorkload(s.Nodes)
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %s:\n", s.Name)
		for _, row := range rows {
			fmt.Fprintf(&b, "    %-44s %s\n", row.workload, strings.Join(row.where, ", "))
		}
	}

	writeLimits(&b, r.Limits)
	writeAdvice(&b, r)

	fmt.Fprintf(&b, "\n%-21s %10s %12s %14s\n", "SAVING BY CAUSE", "$/HOUR", "$/MONTH", "% OF BASELINE")
	for _, c := range r.Savings.ByCause {
		fmt.Fprintf(&b, "%-21s %10.4f %12s %13.1f%%\n", c.Cause, c.HourlyUSD, money(c.MonthlyUSD), c.Percent)
	}
	fmt.Fprintf(&b, "%-21s %10.4f %12s %13.1f%%\n", "total", r.Savings.Total.HourlyUSD, money(r.Savings.Total.MonthlyUSD), r.Savings.Total.Percent)
	if r.Images != nil && r.Images.Graviton != nil {
		g := r.Images.Graviton
		fmt.Fprintf(&b, "%-21s %10.4f %12s %13.1f%%\n", "  graviton, verified", g.Verified.HourlyUSD, money(g.Verified.MonthlyUSD), g.Verified.Percent)
		fmt.Fprintf(&b, "%-21s %10.4f %12s %13.1f%%\n", "  graviton, assumed", g.Assumed.HourlyUSD, money(g.Assumed.MonthlyUSD), g.Assumed.Percent)
		fmt.Fprintf(&b, "%s\n", g.Note)
	}
	fmt.Fprintf(&b, "\nMethod: %s\n", r.Savings.Method)
	if len(r.Notes) > 0 {
		fmt.Fprintf(&b, "\nNotes:\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "  - %s\n", n)
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	return nil
}

// writePrices names each source of the prices with its date and age, or the one source of a live report.
func writePrices(b *strings.Builder, p Prices) {
	if len(p.Sources) == 0 {
		fmt.Fprintf(b, "Prices: %s, data of %s (%d days old), region %s.\n", p.Source, p.Date, p.AgeDays, p.Region)
		return
	}
	fmt.Fprintf(b, "Prices, region %s:\n", p.Region)
	for _, s := range p.Sources {
		fmt.Fprintf(b, "  %-9s %4d types: %s, data of %s (%d days old)\n", s.CapacityType, s.InstanceTypes, s.Source, s.Date, s.AgeDays)
	}
}

// writeSpotSensitivity prints the scenarios re-priced with spot no deeper than the median discount.
func writeSpotSensitivity(b *strings.Builder, r *Report) {
	sens := r.SpotSensitivity
	if sens == nil {
		return
	}
	var medians []string
	for _, arch := range slices.Sorted(maps.Keys(sens.MedianDiscount)) {
		medians = append(medians, fmt.Sprintf("%s %.1f%% over %d types", arch, 100*sens.MedianDiscount[arch], sens.InstanceTypes[arch]))
	}
	fmt.Fprintf(b, "\nSpot depth: the same steady-state nodes with no spot price deeper than %s's median spot discount (%s; spot and on-demand prices of %s, data of %s), re-priced, not re-scheduled:\n",
		r.Prices.Region, strings.Join(medians, ", "), sens.Source, sens.Date)
	for _, s := range sens.Scenarios {
		fmt.Fprintf(b, "  %-13s %10.4f %12s %12s  (estimated %+.1f%%; %d of %d spot nodes priced up)\n", s.Name, s.HourlyUSD, money(s.MonthlyUSD),
			fmt.Sprintf("%+.1f%%", -s.SavingPercent), -s.EstimatedSavingPercent, s.CappedNodes, s.SpotNodes)
	}
}

// writeNodes prints nodes, identical ones counted together.
func writeNodes(b *strings.Builder, nodes []Node) {
	for _, g := range groupNodes(nodes) {
		fmt.Fprintf(b, "  %4d × %-16s %-9s %-5s %-12s %6d pods in all  $%.4f/h each  pool %s\n",
			g.count, g.InstanceType, g.CapacityType, g.Arch, g.Zone, g.pods, g.HourlyUSD, g.NodePool)
	}
}

// writeBlocked says how many of a steady state's nodes Karpenter may not disrupt because of a pod, and why, as
// Karpenter's own check gave it (each node's reason is disruptionBlocked in the JSON).
func writeBlocked(b *strings.Builder, nodes []Node) {
	var annotated, budgeted int
	for _, n := range nodes {
		switch {
		case n.DisruptionBlocked == "":
		case strings.Contains(n.DisruptionBlocked, karpv1.DoNotDisruptAnnotationKey):
			annotated++
		default:
			budgeted++
		}
	}
	if annotated+budgeted == 0 {
		return
	}
	fmt.Fprintf(b, "  %4d of these nodes Karpenter may not disrupt: %d for a pod annotated %s: \"true\", %d for a pod under a PodDisruptionBudget that allows no disruption\n",
		annotated+budgeted, annotated, karpv1.DoNotDisruptAnnotationKey, budgeted)
}

// money prints dollars with thousands separators.
func money(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var out []byte
	for i := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, whole[i])
	}
	return sign + string(out) + "." + frac
}

// nodeGroup is identical nodes counted together.
type nodeGroup struct {
	Node
	count int
	pods  int
}

func groupNodes(nodes []Node) []nodeGroup {
	type key struct{ pool, it, ct, arch, zone string }
	byKey := map[key]*nodeGroup{}
	var order []key
	for _, n := range nodes {
		k := key{n.NodePool, n.InstanceType, n.CapacityType, n.Arch, n.Zone}
		g, ok := byKey[k]
		if !ok {
			g = &nodeGroup{Node: n}
			byKey[k] = g
			order = append(order, k)
		}
		g.count++
		g.pods += n.Pods
	}
	out := make([]nodeGroup, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].count*1e6+out[i].pods > out[j].count*1e6+out[j].pods })
	return out
}

// workloadRow is where one workload's pods run in a scenario.
type workloadRow struct {
	workload string
	where    []string // "30 × graviton/arm64/spot"
}

// placementByWorkload counts each workload's pods by pool, arch and capacity type, workloads in kind, namespace,
// name order and places by pod count, most first.
func placementByWorkload(nodes []Node) []workloadRow {
	type place struct{ pool, arch, ct string }
	counts := map[string]map[place]int{}
	for _, n := range nodes {
		for _, w := range n.Workloads {
			name := w.Kind + " " + w.Namespace + "/" + w.Name
			if counts[name] == nil {
				counts[name] = map[place]int{}
			}
			counts[name][place{n.NodePool, n.Arch, n.CapacityType}] += w.Pods
		}
	}
	names := make([]string, 0, len(counts))
	for name := range counts {
		names = append(names, name)
	}
	sort.Strings(names)
	rows := make([]workloadRow, 0, len(names))
	for _, name := range names {
		places := make([]place, 0, len(counts[name]))
		for p := range counts[name] {
			places = append(places, p)
		}
		sort.Slice(places, func(i, j int) bool {
			a, b := places[i], places[j]
			if counts[name][a] != counts[name][b] {
				return counts[name][a] > counts[name][b]
			}
			return a.pool+a.arch+a.ct < b.pool+b.arch+b.ct
		})
		row := workloadRow{workload: name}
		for _, p := range places {
			row.where = append(row.where, fmt.Sprintf("%d × %s/%s/%s", counts[name][p], p.pool, p.arch, p.ct))
		}
		rows = append(rows, row)
	}
	return rows
}

// workloadList names workloads with their pod counts: "Job default/crunch (3 pods)".
func workloadList(ws []WorkloadPods) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = fmt.Sprintf("%s %s/%s (%d pods)", w.Kind, w.Namespace, w.Name, w.Pods)
	}
	return strings.Join(parts, ", ")
}

// writeAdvice prints the advice section; a live report, which has none, prints nothing.
func writeAdvice(b *strings.Builder, r *Report) {
	a := r.Advice
	if a.PreferArm64 == nil && len(a.MultiArchImages) == 0 && len(a.Notes) == 0 && a.Bound == nil {
		return
	}
	fmt.Fprintf(b, "\nAdvice (each figure from re-running Karpenter's scheduler and consolidation on multiarch with the change, steady states):\n")
	if a.Bound != nil {
		fmt.Fprintf(b, "  Lower bound: %s\n", a.Bound.Note)
	}
	if p := a.PreferArm64; p != nil {
		fmt.Fprintf(b, "  Prefer arm64: saves $%.4f/h, $%s/month (multiarch $%.4f/h instead of $%.4f/h). Add to each of:\n",
			p.Saving.HourlyUSD, money(p.Saving.MonthlyUSD), p.MultiarchHourlyUSD, p.MultiarchHourlyUSD+p.Saving.HourlyUSD)
		for _, w := range p.Workloads {
			fmt.Fprintf(b, "    %s %s/%s: %d of %d pods on amd64, %d after\n", w.Kind, w.Namespace, w.Name, w.AMD64Before, w.Pods, w.AMD64After)
		}
		for _, line := range strings.Split(strings.TrimRight(p.YAML, "\n"), "\n") {
			fmt.Fprintf(b, "      %s\n", line)
		}
	}
	if len(a.MultiArchImages) > 0 {
		fmt.Fprintf(b, "  amd64-only workloads, and what a multi-arch image with an arm64 preference would save each:\n")
		for _, m := range a.MultiArchImages {
			saving := "no saving"
			if m.Saving.HourlyUSD > 0 {
				saving = fmt.Sprintf("saves $%.4f/h, $%s/month", m.Saving.HourlyUSD, money(m.Saving.MonthlyUSD))
			}
			// Workloads pinned by the same images are listed with their own counts.
			what := fmt.Sprintf("%s %s/%s (%d pods)", m.Kind, m.Namespace, m.Name, m.Pods)
			if len(m.Workloads) > 0 {
				what = workloadList(m.Workloads)
			}
			if len(m.Images) > 0 {
				what = "image " + strings.Join(m.Images, " + ") + " for " + what
			}
			fmt.Fprintf(b, "    %s: %s; %d pods would run on arm64\n", what, saving, m.ARM64After)
		}
	}
	for _, n := range a.Notes {
		fmt.Fprintf(b, "  - %s\n", n)
	}
}

// writeImages prints what the estimate knows of the images, and the amd64-only ones by name.
func writeImages(b *strings.Builder, im *Images) {
	if im == nil {
		return
	}
	fmt.Fprintf(b, "Images: %s\n", im.Note)
	var pinned []string
	for _, img := range im.Images {
		if img.Status == images.AMD64Only || img.Status == images.ARM64Only {
			pinned = append(pinned, img.Reference+" ("+strings.Join(img.Platforms, ", ")+")")
		}
	}
	if len(pinned) > 0 {
		fmt.Fprintf(b, "  one architecture only: %s\n", strings.Join(pinned, "; "))
	}
	// Why each image was not read: a timeout, a refused login and a missing tag call for different remedies. Under
	// --images assume the note already says why, and every image shares it.
	for _, img := range im.Images {
		if !img.Verified() && im.Mode != images.ModeAssume {
			fmt.Fprintf(b, "  not read, assumed multi-arch: %s: %s\n", img.Reference, img.Reason)
		}
	}
}

// writeLimits prints each limited pool's use against its limits and the pods a cluster would leave pending.
func writeLimits(b *strings.Builder, l Limits) {
	if len(l.Pools) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%-13s %-10s %16s %20s %9s %12s  %s\n", "LIMITS", "POOL", "VCPU USED/LIMIT", "GIB USED/LIMIT", "GPU", "CEILING/MO", "")
	for _, u := range l.Pools {
		flag := ""
		if u.Exceeded {
			flag = "over its limits"
		}
		ceiling := "-"
		if u.CeilingMonthlyUSD != nil {
			ceiling = fmt.Sprintf("$%.2f", *u.CeilingMonthlyUSD)
		}
		fmt.Fprintf(b, "%-13s %-10s %16s %20s %9s %12s  %s\n", u.Scenario, u.NodePool,
			fmt.Sprintf("%g/%g", u.VCPU, u.LimitVCPU), fmt.Sprintf("%.1f/%g", u.MemoryGiB, u.LimitMemoryGiB),
			gpuUse(u), ceiling, flag)
	}
	for _, p := range l.Pending {
		if len(p.Workloads) == 0 {
			fmt.Fprintf(b, "  %s: a cluster would place every pod, spilling into the other pools.\n", p.Scenario)
			continue
		}
		fmt.Fprintf(b, "  %s: with the limits held, a cluster would leave pending %s.\n", p.Scenario, workloadList(p.Workloads))
	}
}

// gpuUse prints GPUs used against the limit, "-" for a pool without a GPU limit.
func gpuUse(u PoolUsage) string {
	if u.LimitGPU == 0 {
		return fmt.Sprintf("%d/-", u.GPU)
	}
	return fmt.Sprintf("%d/%d", u.GPU, u.LimitGPU)
}

// ignoredLine counts the input's objects that place no pod by kind, most first: "Ignored (no pods of their own):
// 12 Service, 3 ConfigMap; --json lists each with the reason."
func ignoredLine(ignored []workload.Ignored) string {
	if len(ignored) == 0 {
		return ""
	}
	byKind := map[string]int{}
	for _, o := range ignored {
		byKind[o.Kind]++
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if byKind[kinds[i]] != byKind[kinds[j]] {
			return byKind[kinds[i]] > byKind[kinds[j]]
		}
		return kinds[i] < kinds[j]
	})
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d %s", byKind[k], k)
	}
	return "Ignored (no pods of their own): " + strings.Join(parts, ", ") + "; --json lists each with the reason."
}
