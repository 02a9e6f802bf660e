package savings

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteTable prints r for people: scenarios, their nodes, the saving by cause, the method and the notes.
func WriteTable(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Karpenter savings: %s.\n", r.Prices.Basis)
	fmt.Fprintf(&b, "Prices: %s, data of %s, region %s.\n", r.Prices.Source, r.Prices.Date, r.Prices.Region)
	fmt.Fprintf(&b, "Workload: %d pods and %d DaemonSet(s), requesting %.2f vCPU, %.2f GiB, %d GPU.\n\n",
		r.Workload.Pods, r.Workload.DaemonSets, r.Workload.VCPU, r.Workload.MemoryGiB, r.Workload.GPU)

	base, _ := r.Scenario(Baseline)
	fmt.Fprintf(&b, "%-13s %6s %10s %12s %12s\n", "SCENARIO", "NODES", "$/HOUR", "$/MONTH", "VS BASELINE")
	for _, s := range r.Scenarios {
		nodes := fmt.Sprint(len(s.Nodes))
		if s.Name == LowerBound {
			nodes = "-"
		}
		vs := "-"
		if s.Name != Baseline && base.HourlyUSD > 0 {
			vs = fmt.Sprintf("%+.1f%%", 100*(s.HourlyUSD-base.HourlyUSD)/base.HourlyUSD)
		}
		fmt.Fprintf(&b, "%-13s %6s %10.4f %12s %12s\n", s.Name, nodes, s.HourlyUSD, money(s.MonthlyUSD), vs)
	}

	for _, s := range r.Scenarios {
		fmt.Fprintf(&b, "\n%s: %s\n", s.Name, s.Note)
		for _, g := range groupNodes(s.Nodes) {
			fmt.Fprintf(&b, "  %4d × %-16s %-9s %-5s %-12s %6d pods in all  $%.4f/h each  pool %s\n",
				g.count, g.InstanceType, g.CapacityType, g.Arch, g.Zone, g.pods, g.HourlyUSD, g.NodePool)
		}
	}

	fmt.Fprintf(&b, "\n%-21s %10s %12s %14s\n", "SAVING BY CAUSE", "$/HOUR", "$/MONTH", "% OF BASELINE")
	for _, c := range r.Savings.ByCause {
		fmt.Fprintf(&b, "%-21s %10.4f %12s %13.1f%%\n", c.Cause, c.HourlyUSD, money(c.MonthlyUSD), c.Percent)
	}
	fmt.Fprintf(&b, "%-21s %10.4f %12s %13.1f%%\n", "total", r.Savings.Total.HourlyUSD, money(r.Savings.Total.MonthlyUSD), r.Savings.Total.Percent)
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
