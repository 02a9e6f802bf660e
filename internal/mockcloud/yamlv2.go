package mockcloud

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// ConfigFileType is the token of pulumi-kubernetes' yaml/v2 ConfigFile, a remote component.
const ConfigFileType = "kubernetes:yaml/v2:ConfigFile"

// DefaultNamespace is where Kubernetes puts a namespaced object when neither the object nor the provider's
// configuration (or kubeconfig context) names a namespace.
const DefaultNamespace = "default"

// Kinds of the Kubernetes API groups pulumi-kubernetes knows statically (provider/pkg/kinds/kinds.go at v4.32.0,
// Kind.Namespaced); anything else is resolved against the objects' CRDs or the API server, which the mock lacks.
var (
	namespacedKinds = []string{
		"Binding", "ConfigMap", "ControllerRevision", "CronJob", "CSIStorageCapacity", "DaemonSet", "Deployment",
		"Endpoints", "EndpointSlice", "Event", "HorizontalPodAutoscaler", "Ingress", "Job", "Lease", "LimitRange",
		"NetworkPolicy", "PersistentVolumeClaim", "Pod", "PodDisruptionBudget", "PodTemplate", "ReplicaSet",
		"ReplicationController", "ResourceQuota", "Role", "RoleBinding", "Secret", "Service", "ServiceAccount",
		"StatefulSet",
	}
	clusterScopedKinds = []string{
		"APIService", "CertificateSigningRequest", "ClusterRole", "ClusterRoleBinding", "CSIDriver", "CSINode",
		"CustomResourceDefinition", "FlowSchema", "IngressClass", "MutatingWebhookConfiguration", "Namespace", "Node",
		"PersistentVolume", "PodSecurityPolicy", "PriorityClass", "PriorityLevelConfiguration", "RuntimeClass",
		"StorageClass", "ValidatingWebhookConfiguration", "VolumeAttachment",
	}
)

// configFileChildren is what pulumi-kubernetes v4.32.0 registers for a yaml/v2 ConfigFile
// (provider/pkg/provider/yaml/v2: ConfigFileProvider.Construct, Parse, Normalize, register): every object of the
// file, in the namespace Normalize gives it (the object's own, else the provider's default namespace, else
// "default"), named "<ConfigFile name>:<namespace>/<name>" ("<ConfigFile name>:<name>" when cluster-scoped),
// parented to the ConfigFile and managed by its provider. The ConfigFile's own dependsOn is not passed to the
// children; they go before it on destroy because they are its children.
func configFileChildren(cf Resource, manifest []byte, providerNamespace string) ([]Resource, error) {
	namespace := providerNamespace
	if namespace == "" {
		namespace = DefaultNamespace
	}
	return Children(cf, manifest, namespace)
}

// Children are the objects of a multi-document manifest as children of parent: each namespaced object without a
// namespace in namespace, named "<parent name>:<namespace>/<name>" ("<parent name>:<name>" when cluster-scoped),
// typed "kubernetes:<group>/<version>:<Kind>", managed by parent's provider and marked Emulated.
func Children(parent Resource, manifest []byte, namespace string) ([]Resource, error) {
	objs, err := parseManifest(manifest)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", parent.Type, parent.Name, err)
	}
	children := make([]Resource, 0, len(objs))
	for _, obj := range objs {
		if obj.GetNamespace() == "" && slices.Contains(namespacedKinds, obj.GetKind()) {
			obj.SetNamespace(namespace)
		}
		name := obj.GetName()
		if ns := obj.GetNamespace(); ns != "" {
			name = ns + "/" + name
		}
		name = parent.Name + ":" + name
		token := "kubernetes:" + typeModule(obj.GetAPIVersion()) + ":" + obj.GetKind()
		children = append(children, Resource{
			URN:      childURN(parent.URN, token, name),
			Type:     token,
			Name:     name,
			Parent:   parent.URN,
			Provider: parent.Provider,
			Custom:   true,
			Inputs:   obj.Object,
			Emulated: true,
		})
	}
	return children, nil
}

// Namespaced reports whether pulumi-kubernetes knows kind as namespaced; known is false for kinds it would have to
// ask the API server about.
func Namespaced(kind string) (namespaced, known bool) {
	switch {
	case slices.Contains(namespacedKinds, kind):
		return true, true
	case slices.Contains(clusterScopedKinds, kind):
		return false, true
	}
	return false, false
}

// typeModule turns an apiVersion into the module part of a Pulumi type token: "v1" is "core/v1".
func typeModule(apiVersion string) string {
	if !strings.Contains(apiVersion, "/") {
		return "core/" + apiVersion
	}
	return apiVersion
}

// parseManifest reads every object of a multi-document YAML manifest, skipping empty documents, and requires kind,
// apiVersion and metadata.name as Normalize does.
func parseManifest(manifest []byte) ([]unstructured.Unstructured, error) {
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifest), 4096)
	var objs []unstructured.Unstructured
	for i := 0; ; i++ {
		var obj map[string]any
		if err := decoder.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(obj) == 0 {
			continue
		}
		u := unstructured.Unstructured{Object: obj}
		if u.GetKind() == "" || u.GetAPIVersion() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("document %d: kind, apiVersion and metadata.name are required", i)
		}
		objs = append(objs, u)
	}
}
