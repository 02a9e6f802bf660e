package karpenteriam

import "github.com/karpenter-savings/karpenter-savings/internal/program/iampolicy"

// Settings of the interruption queue and its EventBridge targets, as the template has them.
const (
	// QueuePolicyID is the Id of the queue's policy document.
	QueuePolicyID = "EC2InterruptionPolicy"
	// QueueRetentionSeconds is how long an undelivered event is kept; an older interruption warning is moot.
	QueueRetentionSeconds = 300
	// QueueTargetID is the target id of the queue on every interruption rule.
	QueueTargetID = "KarpenterInterruptionQueueTarget"
)

// QueuePolicy lets EventBridge (and SQS) deliver interruption events to the queue and refuses plain HTTP.
// The template's document has no Version; this one declares PolicyVersion, because SQS would otherwise
// store the 2008 language version and report a difference on every refresh.
func QueuePolicy(s Scope) iampolicy.Document {
	return iampolicy.Document{
		Version: iampolicy.PolicyVersion,
		ID:      QueuePolicyID,
		Statement: []iampolicy.Statement{
			{
				Effect:    iampolicy.Allow,
				Principal: &iampolicy.Principal{Service: iampolicy.Values{"events.amazonaws.com", "sqs.amazonaws.com"}},
				Action:    iampolicy.Values{"sqs:SendMessage"},
				Resource:  iampolicy.Values{s.QueueARN()},
			},
			{
				Sid:       "DenyHTTP",
				Effect:    iampolicy.Deny,
				Action:    iampolicy.Values{"sqs:*"},
				Resource:  iampolicy.Values{s.QueueARN()},
				Condition: iampolicy.Condition{"Bool": {"aws:SecureTransport": {"false"}}},
				Principal: &iampolicy.Principal{Everyone: true},
			},
		},
	}
}

// Rule is an EventBridge rule forwarding one kind of interruption event to the queue.
type Rule struct {
	// Name is short and stable, e.g. "scheduled-change"; it names the Pulumi resources and, after the cluster
	// name, the rule itself (see Scope.RuleName). At most MaxRuleNameSuffix characters.
	Name         string
	EventPattern map[string]any // the EventBridge event pattern, marshalled to JSON for the rule.
}

// EventBridge and cluster name limits that bound a rule's name.
const (
	// MaxEventRuleName is EventBridge's limit on a rule's name.
	MaxEventRuleName = 64
	// MaxClusterName is the longest cluster name whose KarpenterControllerRole-<name>, the longest name derived
	// from it, fits IAM's 64 characters.
	MaxClusterName = 64 - len("KarpenterControllerRole-")
	// MaxRuleNameSuffix is the longest Rule.Name that keeps "<cluster>-<name>" within MaxEventRuleName.
	MaxRuleNameSuffix = MaxEventRuleName - MaxClusterName - 1
)

// RuleName is the EventBridge rule's name: explicit, because Pulumi's auto-naming would append 8 characters to
// an already long logical name and exceed EventBridge's 64.
func (s Scope) RuleName(r Rule) string { return s.ClusterName + "-" + r.Name }

// InterruptionRules are the template's five rules, in the template's order.
func InterruptionRules() []Rule {
	return []Rule{
		{Name: "scheduled-change", EventPattern: eventPattern("aws.health", "AWS Health Event")},
		{Name: "spot-interruption", EventPattern: eventPattern("aws.ec2", "EC2 Spot Instance Interruption Warning")},
		{Name: "rebalance", EventPattern: eventPattern("aws.ec2", "EC2 Instance Rebalance Recommendation")},
		{Name: "instance-state-change", EventPattern: eventPattern("aws.ec2", "EC2 Instance State-change Notification")},
		{Name: "capacity-reservation", EventPattern: eventPattern("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning")},
	}
}

func eventPattern(source, detailType string) map[string]any {
	return map[string]any{
		"source":      []string{source},
		"detail-type": []string{detailType},
	}
}
