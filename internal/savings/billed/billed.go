// Package billed reads what Karpenter's node pools cost on the bill (Cost Explorer's GetCostAndUsage) and sets it
// against the on-demand x86 baseline for the same capacity. It rests on the bill, not on pod requests.
package billed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	cetypes "github.com/aws/aws-sdk-go-v2/service/costexplorer/types"

	"github.com/karpenter-savings/karpenter-savings/internal/ops/costtags"
)

// The Cost Explorer names the query uses.
const (
	ServiceEC2        = "Amazon Elastic Compute Cloud - Compute"
	UsageGroupRunning = "EC2: Running Hours"
	MetricUnblended   = "UnblendedCost"
	MetricAmortized   = "AmortizedCost"
	MetricUsage       = "UsageQuantity"
	DimensionType     = "INSTANCE_TYPE"
	// RequestPriceUSD is AWS's list price of one Cost Explorer API request.
	RequestPriceUSD = 0.01
)

// NodeGroupClusterKey is the tag EKS puts on a managed node group's instances (costtags.NodeGroupClusterKey).
const NodeGroupClusterKey = costtags.NodeGroupClusterKey

// API is the Cost Explorer call of the report.
type API interface {
	GetCostAndUsage(context.Context, *costexplorer.GetCostAndUsageInput, ...func(*costexplorer.Options)) (*costexplorer.GetCostAndUsageOutput, error)
}

// Query chooses the cluster and period to read.
type Query struct {
	// ClusterName is the value of the eks:eks-cluster-name and eks:cluster-name tags. Required.
	ClusterName string
	// Start and End are YYYY-MM-DD, End exclusive. Required.
	Start, End string
	// Granularity is DAILY or MONTHLY. Required.
	Granularity string
}

// Input is the GetCostAndUsage request for Karpenter's instances: tagged eks:eks-cluster-name, grouped by node pool
// and instance type.
func (q Query) Input() *costexplorer.GetCostAndUsageInput {
	return q.input(costtags.ClusterKey, costtags.NodePoolKey)
}

// NodeGroupInput is the GetCostAndUsage request for the managed node group's instances: tagged eks:cluster-name,
// grouped by that tag (one value, the cluster) and instance type, so that its pages say which query they answer.
func (q Query) NodeGroupInput() *costexplorer.GetCostAndUsageInput {
	return q.input(NodeGroupClusterKey, NodeGroupClusterKey)
}

// input filters the cluster's EC2 running hours on the tag filterKey and groups them by the tag groupKey and the
// instance type. It asks for both costs: the report uses AmortizedCost, and shows UnblendedCost beside it.
func (q Query) input(filterKey, groupKey string) *costexplorer.GetCostAndUsageInput {
	return &costexplorer.GetCostAndUsageInput{
		TimePeriod:  &cetypes.DateInterval{Start: aws.String(q.Start), End: aws.String(q.End)},
		Granularity: cetypes.Granularity(q.Granularity),
		Metrics:     []string{MetricUnblended, MetricAmortized, MetricUsage},
		Filter: &cetypes.Expression{And: []cetypes.Expression{
			{Tags: &cetypes.TagValues{Key: aws.String(filterKey), Values: []string{q.ClusterName}, MatchOptions: []cetypes.MatchOption{cetypes.MatchOptionEquals}}},
			{Dimensions: &cetypes.DimensionValues{Key: cetypes.DimensionService, Values: []string{ServiceEC2}}},
			{Dimensions: &cetypes.DimensionValues{Key: cetypes.DimensionUsageTypeGroup, Values: []string{UsageGroupRunning}}},
		}},
		GroupBy: []cetypes.GroupDefinition{
			{Type: cetypes.GroupDefinitionTypeTag, Key: aws.String(groupKey)},
			{Type: cetypes.GroupDefinitionTypeDimension, Key: aws.String(DimensionType)},
		},
	}
}

// Page is one GetCostAndUsage response in the shape `aws ce get-cost-and-usage --output json` prints.
type Page struct {
	GroupDefinitions []GroupDefinition `json:"GroupDefinitions"`
	ResultsByTime    []ResultByTime    `json:"ResultsByTime"`
	NextPageToken    string            `json:"NextPageToken,omitempty"`
}

// GroupDefinition is one group-by key of a response.
type GroupDefinition struct {
	Type string `json:"Type"`
	Key  string `json:"Key"`
}

// ResultByTime is one period of a response.
type ResultByTime struct {
	TimePeriod Interval          `json:"TimePeriod"`
	Total      map[string]Metric `json:"Total,omitempty"`
	Groups     []Group           `json:"Groups"`
	Estimated  bool              `json:"Estimated"`
}

// Interval is a period, Start inclusive and End exclusive.
type Interval struct {
	Start string `json:"Start"`
	End   string `json:"End"`
}

// Group is one (node pool tag, instance type) cell of a period.
type Group struct {
	Keys    []string          `json:"Keys"`
	Metrics map[string]Metric `json:"Metrics"`
}

// Metric is an amount and its unit, both as Cost Explorer writes them.
type Metric struct {
	Amount string `json:"Amount"`
	Unit   string `json:"Unit"`
}

// Fetch runs both of q's queries, Karpenter's and the managed node group's, and returns every page of each.
func Fetch(ctx context.Context, api API, q Query) ([]Page, error) {
	var pages []Page
	for _, in := range []*costexplorer.GetCostAndUsageInput{q.Input(), q.NodeGroupInput()} {
		for {
			out, err := api.GetCostAndUsage(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("reading the EC2 bill of cluster %s, tag %s (ce:GetCostAndUsage): %w", q.ClusterName, aws.ToString(in.Filter.And[0].Tags.Key), err)
			}
			pages = append(pages, FromSDK(out))
			if aws.ToString(out.NextPageToken) == "" {
				break
			}
			in.NextPageToken = out.NextPageToken
		}
	}
	return pages, nil
}

// FromSDK converts an SDK response into the replay form, so that both take one path.
func FromSDK(out *costexplorer.GetCostAndUsageOutput) Page {
	p := Page{NextPageToken: aws.ToString(out.NextPageToken)}
	for _, d := range out.GroupDefinitions {
		p.GroupDefinitions = append(p.GroupDefinitions, GroupDefinition{Type: string(d.Type), Key: aws.ToString(d.Key)})
	}
	metrics := func(m map[string]cetypes.MetricValue) map[string]Metric {
		r := make(map[string]Metric, len(m))
		for k, v := range m {
			r[k] = Metric{Amount: aws.ToString(v.Amount), Unit: aws.ToString(v.Unit)}
		}
		return r
	}
	for _, rt := range out.ResultsByTime {
		r := ResultByTime{Total: metrics(rt.Total), Estimated: rt.Estimated}
		if rt.TimePeriod != nil {
			r.TimePeriod = Interval{Start: aws.ToString(rt.TimePeriod.Start), End: aws.ToString(rt.TimePeriod.End)}
		}
		for _, g := range rt.Groups {
			r.Groups = append(r.Groups, Group{Keys: g.Keys, Metrics: metrics(g.Metrics)})
		}
		p.ResultsByTime = append(p.ResultsByTime, r)
	}
	return p
}

// Decode reads a saved response: one page as `aws ce get-cost-and-usage --output json` prints it, or a JSON array
// of pages, of either query or both.
func Decode(r io.Reader) ([]Page, error) {
	const want = "a GetCostAndUsage response as `aws ce get-cost-and-usage --output json` prints it (an object with ResultsByTime and GroupDefinitions), or an array of them"
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimSpace(data)
	var pages []Page
	switch {
	case len(data) > 0 && data[0] == '[':
		err = json.Unmarshal(data, &pages)
	default:
		var p Page
		err = json.Unmarshal(data, &p)
		pages = []Page{p}
	}
	if err != nil {
		return nil, fmt.Errorf("expected %s: %w", want, err)
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("expected %s: found no pages", want)
	}
	for i, p := range pages {
		if p.ResultsByTime == nil {
			return nil, fmt.Errorf("page %d: expected %s: it has no ResultsByTime", i+1, want)
		}
	}
	return pages, nil
}

// source is the query a page answers, told by its GroupDefinitions.
type source int

const (
	karpenterQuery source = iota
	nodeGroupQuery
)

// usage is one (group tag value, instance type) cell of one query, summed over the periods.
type usage struct {
	from         source
	tag          string // the node pool (Karpenter's query) or the cluster (the node group's)
	instanceType string
	unblended    float64
	amortized    float64
	hrs          float64
	hasAmortized bool
}

// bill is what the pages hold, summed.
type bill struct {
	cells      []usage
	start, end string
	estimated  bool
	// amortized says that every group carries AmortizedCost.
	amortized bool
	// nodeGroup says that the node group's query is among the pages.
	nodeGroup bool
	// incomplete names each query whose last page still has a NextPageToken.
	incomplete []string
	// longPeriod says that a period spans more than one day, as only a MONTHLY query's do.
	longPeriod bool
}

// queryNames name the queries in messages.
var queryNames = map[source]string{
	karpenterQuery: "Karpenter's (tag " + costtags.ClusterKey + ")",
	nodeGroupQuery: "the managed node group's (tag " + NodeGroupClusterKey + ")",
}

// collect checks the pages' shape and sums them by query, group tag and instance type.
func collect(pages []Page) (bill, error) {
	var errs []error
	cells := map[usage]*usage{}
	var b bill
	lastToken := map[source]string{}
	seen := map[source]bool{}
	withAmortized, without := 0, 0
	for i, p := range pages {
		from, err := checkGroups(p.GroupDefinitions)
		if err != nil {
			errs = append(errs, fmt.Errorf("page %d: %w", i+1, err))
			continue
		}
		seen[from] = true
		lastToken[from] = p.NextPageToken
		for _, rt := range p.ResultsByTime {
			if b.start == "" || rt.TimePeriod.Start < b.start {
				b.start = rt.TimePeriod.Start
			}
			if rt.TimePeriod.End > b.end {
				b.end = rt.TimePeriod.End
			}
			b.estimated = b.estimated || rt.Estimated
			if start, err1 := time.Parse(time.DateOnly, rt.TimePeriod.Start); err1 == nil {
				if end, err2 := time.Parse(time.DateOnly, rt.TimePeriod.End); err2 == nil && end.Sub(start) > 24*time.Hour {
					b.longPeriod = true
				}
			}
			for _, g := range rt.Groups {
				u, err := cell(from, g)
				if err != nil {
					errs = append(errs, fmt.Errorf("page %d, period %s: %w", i+1, rt.TimePeriod.Start, err))
					continue
				}
				if u.hasAmortized {
					withAmortized++
				} else {
					without++
				}
				key := usage{from: u.from, tag: u.tag, instanceType: u.instanceType}
				if c, ok := cells[key]; ok {
					c.unblended += u.unblended
					c.amortized += u.amortized
					c.hrs += u.hrs
					continue
				}
				cells[key] = &u
			}
		}
	}
	if withAmortized > 0 && without > 0 {
		errs = append(errs, fmt.Errorf("%d groups carry %s and %d do not: expected the pages of one request, with the metrics %s, %s and %s in each (or without %s in all)",
			withAmortized, MetricAmortized, without, MetricUnblended, MetricAmortized, MetricUsage, MetricAmortized))
	}
	if err := errors.Join(errs...); err != nil {
		return b, err
	}
	if !seen[karpenterQuery] {
		return b, fmt.Errorf("expected the pages of Karpenter's query (GroupDefinitions [TAG %s, DIMENSION %s]) among the %d pages; found only the managed node group's", costtags.NodePoolKey, DimensionType, len(pages))
	}
	b.amortized = without == 0
	b.nodeGroup = seen[nodeGroupQuery]
	for _, from := range []source{karpenterQuery, nodeGroupQuery} {
		if seen[from] && lastToken[from] != "" {
			b.incomplete = append(b.incomplete, queryNames[from])
		}
	}
	for _, c := range cells {
		b.cells = append(b.cells, *c)
	}
	sort.Slice(b.cells, func(i, j int) bool {
		x, y := b.cells[i], b.cells[j]
		if x.from != y.from {
			return x.from < y.from
		}
		if x.tag != y.tag {
			return x.tag < y.tag
		}
		return x.instanceType < y.instanceType
	})
	return b, nil
}

// checkGroups accepts the group-by of either query: a tag (the node pool for Karpenter's, eks:cluster-name for the
// node group's), then the instance type.
func checkGroups(defs []GroupDefinition) (source, error) {
	if len(defs) == 2 && defs[0].Type == string(cetypes.GroupDefinitionTypeTag) && defs[1].Type == string(cetypes.GroupDefinitionTypeDimension) && defs[1].Key == DimensionType {
		switch defs[0].Key {
		case costtags.NodePoolKey:
			return karpenterQuery, nil
		case NodeGroupClusterKey:
			return nodeGroupQuery, nil
		}
	}
	return 0, fmt.Errorf("expected GroupDefinitions [TAG %s, DIMENSION %s] (Karpenter's query) or [TAG %s, DIMENSION %s] (the managed node group's), found %v",
		costtags.NodePoolKey, DimensionType, NodeGroupClusterKey, DimensionType, defs)
}

// cell reads one group: its keys and the metrics, costs in USD and usage in hours. AmortizedCost may be absent, as in a
// response saved with `--metrics UnblendedCost UsageQuantity`.
func cell(from source, g Group) (usage, error) {
	key := costtags.NodePoolKey
	if from == nodeGroupQuery {
		key = NodeGroupClusterKey
	}
	prefix := key + "$"
	if len(g.Keys) != 2 || !strings.HasPrefix(g.Keys[0], prefix) {
		return usage{}, fmt.Errorf("expected group keys [%s<value> <instance type>], found %q", prefix, g.Keys)
	}
	u := usage{from: from, tag: strings.TrimPrefix(g.Keys[0], prefix), instanceType: g.Keys[1]}
	_, u.hasAmortized = g.Metrics[MetricAmortized]
	for _, m := range []struct {
		name, unit string
		to         *float64
		optional   bool
	}{{MetricUnblended, "USD", &u.unblended, false}, {MetricAmortized, "USD", &u.amortized, true}, {MetricUsage, "Hrs", &u.hrs, false}} {
		v, ok := g.Metrics[m.name]
		if !ok {
			if m.optional {
				continue
			}
			return usage{}, fmt.Errorf("group %q: expected the metric %s", g.Keys, m.name)
		}
		// Cost Explorer writes the unit N/A beside an amount of 0 when no usage line of the group has a unit (a group
		// of credits or fees alone): no hours, which is no mixing of units.
		if v.Unit == "N/A" && m.unit == "Hrs" {
			if f, err := strconv.ParseFloat(v.Amount, 64); err == nil && f == 0 {
				continue
			}
		}
		if v.Unit != m.unit {
			why := "the baseline's prices are in USD"
			if m.unit == "Hrs" {
				why = "the baseline counts instance-hours; filter on USAGE_TYPE_GROUP " + UsageGroupRunning
			}
			return usage{}, fmt.Errorf("group %q: expected %s in %s (%s), found %q", g.Keys, m.name, m.unit, why, v.Unit)
		}
		f, err := strconv.ParseFloat(v.Amount, 64)
		if err != nil {
			return usage{}, fmt.Errorf("group %q: %s amount %q: %w", g.Keys, m.name, v.Amount, err)
		}
		*m.to = f
	}
	return u, nil
}
