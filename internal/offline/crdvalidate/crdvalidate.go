// Package crdvalidate checks Karpenter objects offline the way the Kubernetes API server checks them on create:
// against the CRDs shipped in the pinned Karpenter AWS provider module, with the apiextensions-apiserver's own
// pruning, defaulting, OpenAPI and CEL (x-kubernetes-validations) code.
package crdvalidate

import (
	"context"
	"encoding/json"
	"fmt"

	awsapis "github.com/aws/karpenter-provider-aws/pkg/apis"
	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// Validator validates NodePools (karpenter.sh/v1) and EC2NodeClasses (karpenter.k8s.aws/v1).
type Validator struct {
	kinds map[schema.GroupVersionKind]*kind
}

// kind is what the API server builds per served CRD version in customresource_handler.go.
type kind struct {
	gvk             schema.GroupVersionKind
	namespaced      bool
	hasStatus       bool
	structural      *structuralschema.Structural
	schemaValidator apiservervalidation.SchemaValidator
	celValidator    *cel.Validator
}

// New loads the NodePool and EC2NodeClass CRDs embedded in the pinned Karpenter AWS provider module; those are the
// CRDs its Helm chart installs, and they add AWS label rules to the core NodePool CRD.
func New() (*Validator, error) {
	v := &Validator{kinds: map[schema.GroupVersionKind]*kind{}}
	crds := []struct {
		kind string
		raw  []byte
	}{{"NodePool", awsapis.NodePoolCRD}, {"EC2NodeClass", awsapis.EC2NodeClassCRD}}
	for _, crd := range crds {
		if err := v.load(crd.raw); err != nil {
			return nil, fmt.Errorf("crdvalidate: %s CRD: %w", crd.kind, err)
		}
	}
	return v, nil
}

func (v *Validator) load(raw []byte) error {
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(raw, crd); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	for _, ver := range crd.Spec.Versions {
		if !ver.Served {
			continue
		}
		k, err := newKind(crd, ver)
		if err != nil {
			return fmt.Errorf("version %s: %w", ver.Name, err)
		}
		v.kinds[k.gvk] = k
	}
	return nil
}

func newKind(crd *apiextensionsv1.CustomResourceDefinition, ver apiextensionsv1.CustomResourceDefinitionVersion) (*kind, error) {
	val, err := apihelpers.GetSchemaForVersion(crd, ver.Name)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	if val == nil {
		return nil, fmt.Errorf("no openAPIV3Schema")
	}
	internal := &apiextensionsinternal.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(val, internal, nil); err != nil {
		return nil, fmt.Errorf("convert to internal version: %w", err)
	}
	s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("structural schema: %w", err)
	}
	// The API server refuses a CRD whose schema is not structural; check it here so a broken pin fails loudly.
	if errs := structuralschema.ValidateStructural(nil, s); len(errs) > 0 {
		return nil, fmt.Errorf("schema is not structural: %w", errs.ToAggregate())
	}
	s = s.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(s); err != nil {
		return nil, fmt.Errorf("prune defaults: %w", err)
	}
	schemaValidator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("schema validator: %w", err)
	}
	return &kind{
		gvk:             schema.GroupVersionKind{Group: crd.Spec.Group, Version: ver.Name, Kind: crd.Spec.Names.Kind},
		namespaced:      crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		hasStatus:       ver.Subresources != nil && ver.Subresources.Status != nil,
		structural:      s,
		schemaValidator: schemaValidator,
		celValidator:    cel.NewValidator(s, true, celconfig.PerCallLimit),
	}, nil
}

// Validate runs obj through the API server's create path: decode, prune (unknown fields are an error, as with
// kubectl's strict field validation), default, then validate. It returns the object as the server would store it,
// in plain encoding/json types, or an error worded like the server's.
func (v *Validator) Validate(obj map[string]any) (map[string]any, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("crdvalidate: marshal object: %w", err)
	}
	// The server decodes the request body with the unstructured JSON scheme: integers become int64, which the
	// OpenAPI and CEL validators expect.
	decoded, gvk, err := unstructured.UnstructuredJSONScheme.Decode(raw, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("crdvalidate: decode object: %w", err)
	}
	u, ok := decoded.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("crdvalidate: %s is a list, want one object", gvk)
	}
	k, ok := v.kinds[*gvk]
	if !ok {
		return nil, fmt.Errorf("crdvalidate: no CRD serves %s", gvk)
	}
	if err := k.coerce(u); err != nil {
		return nil, err
	}
	structuraldefaulting.Default(u.Object, k.structural)
	// customResourceStrategy.PrepareForCreate: the status subresource owns status, so create ignores it.
	if k.hasStatus {
		delete(u.Object, "status")
	}
	if errs := k.validate(u); len(errs) > 0 {
		return nil, apierrors.NewInvalid(k.gvk.GroupKind(), u.GetName(), errs)
	}
	return plain(u.Object)
}

// coerce is unstructuredSchemaCoercer.apply with strict field validation: prune unknown fields, reporting them, drop
// nulls the schema does not allow, and coerce embedded ObjectMeta.
func (k *kind) coerce(u *unstructured.Unstructured) error {
	objectMeta, foundObjectMeta, unknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u.Object,
		schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return k.badRequest(err)
	}
	unknown = append(unknown, structuralpruning.PruneWithOptions(u.Object, k.structural, true,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u.Object, k.structural)
	ferr, paths := schemaobjectmeta.CoerceWithOptions(nil, u.Object, k.structural, false,
		schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if ferr != nil {
		return k.badRequest(ferr)
	}
	unknown = append(unknown, paths...)
	u.SetGroupVersionKind(k.gvk)
	if foundObjectMeta {
		if err := schemaobjectmeta.SetObjectMeta(u.Object, objectMeta); err != nil {
			return k.badRequest(err)
		}
	}
	if len(unknown) > 0 {
		errs := make([]error, 0, len(unknown))
		for _, path := range unknown {
			errs = append(errs, fmt.Errorf(`unknown field "%s"`, path))
		}
		return k.badRequest(runtime.NewStrictDecodingError(errs))
	}
	return nil
}

// badRequest words a decoding failure as the API server's create handler does.
func (k *kind) badRequest(err error) error {
	return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v",
		k.gvk.Kind, k.gvk.Version, k.gvk.Kind, err))
}

// validate is customResourceStrategy.Validate for a create.
func (k *kind) validate(u *unstructured.Unstructured) field.ErrorList {
	if errs := k.validateTypeMeta(u); len(errs) > 0 {
		return errs
	}
	var errs field.ErrorList
	errs = append(errs, validation.ValidateObjectMetaAccessor(u, k.namespaced, validation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, u.UnstructuredContent(), k.schemaValidator)...)
	errs = append(errs, schemaobjectmeta.Validate(nil, u.Object, k.structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, k.structural, u.Object)...)
	// cel.NewValidator returns nil for a schema without x-kubernetes-validations.
	if k.celValidator == nil {
		return errs
	}
	if blocked, err := hasBlockingErr(errs); blocked {
		return append(errs, err)
	}
	celErrs, _ := k.celValidator.Validate(context.Background(), nil, k.structural, u.Object, nil, celconfig.RuntimeCELCostBudget)
	return append(errs, celErrs...)
}

func (k *kind) validateTypeMeta(u *unstructured.Unstructured) field.ErrorList {
	var errs field.ErrorList
	if u.GetKind() != k.gvk.Kind {
		errs = append(errs, field.Invalid(field.NewPath("kind"), u.GetKind(), "must be "+k.gvk.Kind))
	}
	if want := k.gvk.GroupVersion().String(); u.GetAPIVersion() != want {
		errs = append(errs, field.Invalid(field.NewPath("apiVersion"), u.GetAPIVersion(), "must be "+want))
	}
	return errs
}

// hasBlockingErr is the API server's rule for skipping CEL: rules written against a well-formed object would only
// add noise, or fail to evaluate, on a malformed one.
func hasBlockingErr(errs field.ErrorList) (bool, *field.Error) {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany,
			field.ErrorTypeTypeInvalid:
			return true, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation")
		}
	}
	return false, nil
}

// plain converts the server's unstructured content (int64 numbers) to what encoding/json produces, the form
// poolspec.Set.Objects uses, so callers can compare the two as data.
func plain(obj map[string]any) (map[string]any, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("crdvalidate: marshal defaulted object: %w", err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("crdvalidate: unmarshal defaulted object: %w", err)
	}
	return out, nil
}
