package workload

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// BudgetSelector checks a PodDisruptionBudget as the API server admits it (policy/v1 validation) and returns its
// selector; the reader checks each budget so, to name its document, and the estimate each budget it is given.
func BudgetSelector(pdb *policyv1.PodDisruptionBudget) (labels.Selector, error) {
	if pdb.Name == "" {
		return nil, errors.New("metadata.name is required")
	}
	if pdb.Spec.MinAvailable != nil && pdb.Spec.MaxUnavailable != nil {
		return nil, fmt.Errorf("spec.minAvailable %s and spec.maxUnavailable %s are both set; at most one is allowed",
			pdb.Spec.MinAvailable.String(), pdb.Spec.MaxUnavailable.String())
	}
	for field, v := range map[string]*intstr.IntOrString{"spec.minAvailable": pdb.Spec.MinAvailable, "spec.maxUnavailable": pdb.Spec.MaxUnavailable} {
		if v == nil {
			continue
		}
		switch v.Type {
		case intstr.Int:
			if v.IntVal < 0 {
				return nil, fmt.Errorf("%s %d: must be a non-negative integer or a percentage from 0%% to 100%%", field, v.IntVal)
			}
		case intstr.String:
			// The API server's own check (k8s.io/apimachinery validation.IsValidPercent): digits and "%", no sign.
			n, ok := strings.CutSuffix(v.StrVal, "%")
			pct, err := strconv.Atoi(n)
			if !ok || err != nil || len(validation.IsValidPercent(v.StrVal)) > 0 || pct > 100 {
				return nil, fmt.Errorf("%s %q: must be a non-negative integer or a percentage from 0%% to 100%%", field, v.StrVal)
			}
		}
	}
	selector, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("spec.selector: %w", err)
	}
	return selector, nil
}
