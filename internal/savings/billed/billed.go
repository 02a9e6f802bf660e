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

// API is the Cost Explorer call of the report.
type API interface {
	GetCostAndUsage(context.Context, *costexplorer.GetCostAndUsageInput, ...func(*costexplorer.Options)) (*costexplorer.GetCostAndUsageOutput, error)
}

// Query chooses the cluster and period to read.
type Query struct {
	// ClusterName is the value of the eks:eks-cluster-name tag. Required.
	ClusterName string
	// Start and End are YYYY-MM-DD, End exclusive. Required.
	Start, End string
	// Granularity is DAILY or MONTHLY. Required.
	Granularity string
}

// Input is the GetCostAndUsage request for q.
func (q Query) Input() *costexplorer.GetCostAndUsageInput {
	return &costexplorer.GetCostAndUsageInput{
		TimePeriod:  &cetypes.DateInterval{Start: aws.String(q.Start), End: aws.String(q.End)},
		Granularity: cetypes.Granularity(q.Granularity),
		Metrics:     []string{MetricUnblended, MetricAmortized, MetricUsage},
		Filter: &cetypes.Expression{And: []cetypes.Expression{
			{Tags: &cetypes.TagValues{Key: aws.String(costtags.ClusterKey), Values: []string{q.ClusterName}, MatchOptions: []cetypes.MatchOption{cetypes.MatchOptionEquals}}},
			{Dimensions: &cetypes.DimensionValues{Key: cetypes.DimensionService, Values: []string{ServiceEC2}}},
			{Dimensions: &cetypes.DimensionValues{Key: cetypes.DimensionUsageTypeGroup, Values: []string{UsageGroupRunning}}},
		}},
		GroupBy: []cetypes.GroupDefinition{
			{Type: cetypes.GroupDefinitionTypeTag, Key: aws.String(costtags.NodePoolKey)},
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

// Fetch runs q and returns every page.
func Fetch(ctx context.Context, api API, q Query) ([]Page, error) {
	in := q.Input()
	var pages []Page
	for {
		out, err := api.GetCostAndUsage(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("reading the EC2 bill of cluster %s (ce:GetCostAndUsage): %w", q.ClusterName, err)
		}
		pages = append(pages, FromSDK(out))
		if aws.ToString(out.NextPageToken) == "" {
			return pages, nil
		}
		in.NextPageToken = out.NextPageToken
	}
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
// of pages.
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

// usage is one (pool, instance type) cell summed over the periods.
type usage struct {
	pool, instanceType        string
	unblended, amortized, hrs float64
}

// period is the span and the granularity the pages cover.
type period struct {
	start, end string
	estimated  bool
}

// collect checks the pages' shape and sums them by pool and instance type.
func collect(pages []Page) ([]usage, period, error) {
	var errs []error
	cells := map[[2]string]*usage{}
	var per period
	for i, p := range pages {
		if err := checkGroups(p.GroupDefinitions); err != nil {
			errs = append(errs, fmt.Errorf("page %d: %w", i+1, err))
			continue
		}
		for _, rt := range p.ResultsByTime {
			if per.start == "" || rt.TimePeriod.Start < per.start {
				per.start = rt.TimePeriod.Start
			}
			if rt.TimePeriod.End > per.end {
				per.end = rt.TimePeriod.End
			}
			per.estimated = per.estimated || rt.Estimated
			for _, g := range rt.Groups {
				u, err := cell(g)
				if err != nil {
					errs = append(errs, fmt.Errorf("page %d, period %s: %w", i+1, rt.TimePeriod.Start, err))
					continue
				}
				key := [2]string{u.pool, u.instanceType}
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
	if err := errors.Join(errs...); err != nil {
		return nil, per, err
	}
	out := make([]usage, 0, len(cells))
	for _, c := range cells {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].pool != out[j].pool {
			return out[i].pool < out[j].pool
		}
		return out[i].instanceType < out[j].instanceType
	})
	return out, per, nil
}

// checkGroups accepts exactly the report's group-by: the node pool tag, then the instance type.
func checkGroups(defs []GroupDefinition) error {
	if len(defs) == 2 && defs[0].Type == string(cetypes.GroupDefinitionTypeTag) && defs[0].Key == costtags.NodePoolKey &&
		defs[1].Type == string(cetypes.GroupDefinitionTypeDimension) && defs[1].Key == DimensionType {
		return nil
	}
	return fmt.Errorf("expected GroupDefinitions [TAG %s, DIMENSION %s], found %v", costtags.NodePoolKey, DimensionType, defs)
}

// cell reads one group: its keys and the three metrics, costs in USD and usage in hours.
func cell(g Group) (usage, error) {
	prefix := costtags.NodePoolKey + "$"
	if len(g.Keys) != 2 || !strings.HasPrefix(g.Keys[0], prefix) {
		return usage{}, fmt.Errorf("expected group keys [%s<pool> <instance type>], found %q", prefix, g.Keys)
	}
	u := usage{pool: strings.TrimPrefix(g.Keys[0], prefix), instanceType: g.Keys[1]}
	for _, m := range []struct {
		name, unit string
		to         *float64
	}{{MetricUnblended, "USD", &u.unblended}, {MetricAmortized, "USD", &u.amortized}, {MetricUsage, "Hrs", &u.hrs}} {
		v, ok := g.Metrics[m.name]
		if !ok {
			return usage{}, fmt.Errorf("group %q: expected the metric %s", g.Keys, m.name)
		}
		if v.Unit != m.unit {
			return usage{}, fmt.Errorf("group %q: expected %s in %s, found %q", g.Keys, m.name, m.unit, v.Unit)
		}
		f, err := strconv.ParseFloat(v.Amount, 64)
		if err != nil {
			return usage{}, fmt.Errorf("group %q: %s amount %q: %w", g.Keys, m.name, v.Amount, err)
		}
		*m.to = f
	}
	return u, nil
}
