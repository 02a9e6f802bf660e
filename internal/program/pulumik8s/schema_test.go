package pulumik8s_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/karpenter-savings/karpenter-savings/internal/program/pulumik8s"
)

// The modules this test reads, at the versions go.mod pins. A bump of either fails the test until the versions
// here are bumped too, after which everything below is checked again against the new code.
const (
	sdkModule      = "github.com/pulumi/pulumi-kubernetes/sdk/v4"
	sdkVersion     = "v4.32.0"
	providerModule = "github.com/pulumi/pulumi-kubernetes/provider/v4"
	// The provider module at the one commit the module proxy serves, on the v4.25 line: its schema.json is the
	// schema the provider plugin serves. The v4.32.0 provider module is not available.
	providerVersion = "v4.0.0-20260115033456-f47bc2d6f199"
	schemaPath      = "cmd/pulumi-resource-kubernetes/schema.json"
)

// goModule is the part of `go list -m -json` output the test reads.
type goModule struct {
	Path, Version, Dir string
	Replace            *goModule
}

// moduleDirs finds the pinned modules in the module cache, as go.mod resolves them.
func moduleDirs(t *testing.T) map[string]goModule {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-json", sdkModule, providerModule).Output()
	require.NoError(t, err, "go list -m -json %s %s", sdkModule, providerModule)
	mods := map[string]goModule{}
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var m goModule
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "decode go list output")
		require.Nilf(t, m.Replace, "%s is replaced in go.mod; this test reads the published module", m.Path)
		require.NotEmptyf(t, m.Dir, "%s is not downloaded; run go mod download %s", m.Path, m.Path)
		mods[m.Path] = m
	}
	require.Equal(t, sdkVersion, mods[sdkModule].Version, "the pulumi-kubernetes SDK go.mod pins")
	require.Equal(t, providerVersion, mods[providerModule].Version, "the pulumi-kubernetes provider go.mod pins (its schema is read)")
	require.Equal(t, strings.TrimPrefix(sdkVersion, "v"), pulumik8s.PluginVersion, "PluginVersion is the pinned SDK's version")
	return mods
}

// Schema types: the parts of pulumi-kubernetes' package schema the test reads.
type (
	pkgSchema struct {
		Version   *string                 `json:"version"`
		Resources map[string]resourceSpec `json:"resources"`
		Types     map[string]objectSpec   `json:"types"`
	}
	resourceSpec struct {
		IsComponent     bool                    `json:"isComponent"`
		Properties      map[string]propertySpec `json:"properties"`
		InputProperties map[string]propertySpec `json:"inputProperties"`
		RequiredInputs  []string                `json:"requiredInputs"`
		Aliases         json.RawMessage         `json:"aliases"`
	}
	objectSpec struct {
		Properties map[string]propertySpec `json:"properties"`
	}
	propertySpec struct {
		Type             string          `json:"type"`
		Ref              string          `json:"$ref"`
		Const            any             `json:"const"`
		Secret           bool            `json:"secret"`
		ReplaceOnChanges bool            `json:"replaceOnChanges"`
		Default          json.RawMessage `json:"default"`
		DefaultInfo      json.RawMessage `json:"defaultInfo"`
	}
)

// kind is a property's kind as the schema types it: string, boolean, integer, number, array, object, or the name of
// an object type (a $ref to #/types/...), or any.
func (p propertySpec) kind() string {
	switch {
	case strings.HasPrefix(p.Ref, "#/types/"):
		return p.Ref[strings.LastIndex(p.Ref, ":")+1:]
	case p.Ref == "pulumi.json#/Any":
		return "any"
	case p.Ref != "":
		return p.Ref
	}
	return p.Type
}

func readSchema(t *testing.T, providerDir string) pkgSchema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(providerDir, schemaPath))
	require.NoError(t, err, "read the provider's schema")
	var s pkgSchema
	require.NoError(t, json.Unmarshal(b, &s), "parse %s", schemaPath)
	// The file carries no version of its own: the module version moduleDirs checked is the schema's.
	require.Nil(t, s.Version, "schema.json names no version; it is the one of %s@%s", providerModule, providerVersion)
	return s
}

// sdkField is a field of a struct in the SDK's generated source.
type sdkField struct {
	typ  string // the type as written, e.g. pulumi.StringPtrInput
	expr ast.Expr
	tag  string // its `pulumi` tag
}

// sdkConstructor is what a generated NewX does besides registering.
type sdkConstructor struct {
	register    string              // the Context method it registers with
	token       string              // the type token it registers
	required    []string            // the Args fields it rejects when nil
	assigned    map[string]ast.Expr // the Args fields it sets, and to what
	pulumiCalls []string            // the pulumi.* functions it calls (options, values)
	utilities   []string            // the utilities.* functions it calls
}

// sdkSource is the parsed Go source of one SDK package.
type sdkSource struct {
	structs map[string]map[string]sdkField
	embeds  map[string][]string // embedded types of each struct
	funcs   map[string]*ast.FuncDecl
	vars    map[string]ast.Expr
}

func parseSDK(t *testing.T, dir string, files ...string) sdkSource {
	t.Helper()
	src := sdkSource{structs: map[string]map[string]sdkField{}, embeds: map[string][]string{}, funcs: map[string]*ast.FuncDecl{}, vars: map[string]ast.Expr{}}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		require.NoError(t, err, "parse %s", name)
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					src.funcs[d.Name.Name] = d
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						if st, ok := s.Type.(*ast.StructType); ok {
							src.structs[s.Name.Name], src.embeds[s.Name.Name] = structFields(t, st)
						}
					case *ast.ValueSpec:
						for i, n := range s.Names {
							if i < len(s.Values) {
								src.vars[n.Name] = s.Values[i]
							}
						}
					}
				}
			}
		}
	}
	return src
}

func structFields(t *testing.T, st *ast.StructType) (map[string]sdkField, []string) {
	t.Helper()
	fields := map[string]sdkField{}
	var embeds []string
	for _, f := range st.Fields.List {
		var tag string
		if f.Tag != nil {
			raw, err := strconv.Unquote(f.Tag.Value)
			require.NoError(t, err, "tag %s", f.Tag.Value)
			tag = reflect.StructTag(raw).Get("pulumi")
		}
		if len(f.Names) == 0 {
			embeds = append(embeds, types.ExprString(f.Type))
		}
		for _, n := range f.Names {
			fields[n.Name] = sdkField{typ: types.ExprString(f.Type), expr: f.Type, tag: tag}
		}
	}
	return fields, embeds
}

func (s sdkSource) constructor(t *testing.T, name string) sdkConstructor {
	t.Helper()
	fn, ok := s.funcs[name]
	require.Truef(t, ok, "the SDK has %s", name)
	c := sdkConstructor{assigned: map[string]ast.Expr{}}
	argsField := func(e ast.Expr) (string, bool) {
		sel, ok := e.(*ast.SelectorExpr)
		if !ok {
			return "", false
		}
		x, ok := sel.X.(*ast.Ident)
		return sel.Sel.Name, ok && x.Name == "args"
	}
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			if field, ok := argsField(n.X); ok && n.Op == token.EQL && types.ExprString(n.Y) == "nil" {
				c.required = append(c.required, field)
			}
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				if field, ok := argsField(lhs); ok {
					c.assigned[field] = n.Rhs[i]
				}
			}
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok {
				break
			}
			x, _ := sel.X.(*ast.Ident)
			switch {
			case x == nil:
			case x.Name == "pulumi":
				c.pulumiCalls = append(c.pulumiCalls, sel.Sel.Name)
			case x.Name == "utilities":
				c.utilities = append(c.utilities, sel.Sel.Name)
			case x.Name == "ctx" && strings.HasPrefix(sel.Sel.Name, "Register"):
				c.register = sel.Sel.Name
				lit, ok := n.Args[0].(*ast.BasicLit)
				require.Truef(t, ok, "%s registers a literal type token", name)
				c.token, _ = strconv.Unquote(lit.Value)
			}
		}
		return true
	})
	return c
}

// stringCall returns the string literal argument of a call fn("...").
func stringCall(t *testing.T, e ast.Expr, fn string) string {
	t.Helper()
	call, ok := e.(*ast.CallExpr)
	require.Truef(t, ok && types.ExprString(call.Fun) == fn && len(call.Args) == 1, "want %s(\"...\"), got %s", fn, types.ExprString(e))
	lit, ok := call.Args[0].(*ast.BasicLit)
	require.Truef(t, ok && lit.Kind == token.STRING, "want a string literal in %s", types.ExprString(e))
	s, err := strconv.Unquote(lit.Value)
	require.NoError(t, err)
	return s
}

// astKind is the schema kind of a plain Go type of the SDK's element structs (*string, map[string]interface{}, ...).
func astKind(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return astKind(e.X)
	case *ast.MapType:
		return "object"
	case *ast.ArrayType:
		return "array"
	case *ast.InterfaceType:
		return "any"
	case *ast.Ident:
		return goNameKind(e.Name)
	}
	return types.ExprString(e)
}

// outputKind is the schema kind of an SDK output type by its name (pulumi.StringPtrOutput, ReleaseStatusOutput).
func outputKind(typ string) string {
	name := strings.TrimSuffix(strings.TrimPrefix(typ, "pulumi."), "Output")
	switch {
	case strings.HasSuffix(name, "Map"):
		return "object"
	case strings.HasSuffix(name, "Array"):
		return "array"
	}
	return goNameKind(strings.TrimSuffix(name, "Ptr"))
}

// goNameKind is the schema kind of a Go type name; any other name is an object type of the same name.
func goNameKind(name string) string {
	switch strings.ToLower(name) {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int":
		return "integer"
	case "float64":
		return "number"
	}
	return name
}

// elementType is the type an Input interface or Output type of this package's structs holds: *string for
// pulumi.StringPtrInput, map[string]interface{} for pulumi.MapInput.
func elementType(t *testing.T, typ reflect.Type) reflect.Type {
	t.Helper()
	outputType := reflect.TypeFor[pulumi.Output]()
	if typ.Kind() == reflect.Interface {
		for i := range typ.NumMethod() {
			m := typ.Method(i)
			if strings.HasPrefix(m.Name, "To") && m.Type.NumIn() == 0 && m.Type.NumOut() == 1 && m.Type.Out(0).Implements(outputType) {
				typ = m.Type.Out(0)
				break
			}
		}
	}
	require.Truef(t, typ.Implements(outputType), "%s: want an Input interface or an Output", typ)
	return reflect.Zero(typ).Interface().(pulumi.Output).ElementType()
}

// goKind is the schema kind of a field of this package's Args or outputs.
func goKind(t *testing.T, typ reflect.Type) string {
	t.Helper()
	if typ.Kind() == reflect.Pointer && typ.Elem().Kind() == reflect.Struct {
		return strings.TrimSuffix(typ.Elem().Name(), "Args")
	}
	e := elementType(t, typ)
	if e.Kind() == reflect.Pointer {
		e = e.Elem()
	}
	switch e.Kind() {
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Slice:
		return "array"
	case reflect.Interface:
		return "any"
	}
	return goNameKind(e.Kind().String())
}

// sdkResource is one resource as the SDK's source has it.
type sdkResource struct {
	resource, args, elem string // struct names: Release, ReleaseArgs, releaseArgs
	constructor          string
	embeds               string
}

// schemaAndSDKAgree checks a resource's (or object type's) inputs and outputs in the schema against the SDK's
// element struct (for inputs) and resource struct (for outputs). For the two resources here this is what makes
// the v4.25-line provider schema valid evidence for the v4.32.0 SDK: they describe the same properties, kinds and
// required inputs, so what the schema says below of the v4.32.0 resources holds.
func schemaAndSDKAgree(t *testing.T, inputs, outputs map[string]propertySpec, elem, out map[string]sdkField) {
	t.Helper()
	tags := func(fields map[string]sdkField) map[string]sdkField {
		if fields == nil {
			return nil
		}
		byTag := map[string]sdkField{}
		for _, f := range fields {
			if f.tag != "" {
				byTag[f.tag] = f
			}
		}
		return byTag
	}
	for what, pair := range map[string]struct {
		schema map[string]propertySpec
		sdk    map[string]sdkField
		kind   func(sdkField) string
	}{
		"inputs":  {inputs, tags(elem), func(f sdkField) string { return astKind(f.expr) }},
		"outputs": {outputs, tags(out), func(f sdkField) string { return outputKind(f.typ) }},
	} {
		if pair.sdk == nil {
			continue
		}
		require.ElementsMatchf(t, slices.Collect(maps.Keys(pair.schema)), slices.Collect(maps.Keys(pair.sdk)),
			"%s: schema (first) and SDK (second) name the same properties", what)
		for name, p := range pair.schema {
			require.Equalf(t, p.kind(), pair.kind(pair.sdk[name]), "%s %s: schema kind (first), SDK kind of %s (second)", what, name, pair.sdk[name].typ)
		}
	}
}

// noGeneratedOptions checks that the schema asks the SDK generator for no constructor logic this package lacks: no
// aliases, secret or replace-on-changes properties, or defaults.
func noGeneratedOptions(t *testing.T, token string, r resourceSpec) {
	t.Helper()
	require.Emptyf(t, r.Aliases, "%s: aliases", token)
	for what, props := range map[string]map[string]propertySpec{"input": r.InputProperties, "output": r.Properties} {
		for name, p := range props {
			require.Falsef(t, p.Secret, "%s %s %s: secret", token, what, name)
			require.Falsef(t, p.ReplaceOnChanges, "%s %s %s: replaceOnChanges", token, what, name)
			require.Emptyf(t, p.Default, "%s %s %s: default", token, what, name)
			require.Emptyf(t, p.DefaultInfo, "%s %s %s: defaultInfo", token, what, name)
		}
	}
}

// checkArgs checks every field of one of this package's Args structs against the schema's properties and the SDK's
// Args and element structs; a pointer to a struct is an object type, checked field by field in the same way.
func checkArgs(t *testing.T, s pkgSchema, src sdkSource, args reflect.Type, schemaProps map[string]propertySpec, sdkArgs, sdkElem string) {
	t.Helper()
	for i := range args.NumField() {
		f := args.Field(i)
		tag := f.Tag.Get("pulumi")
		t.Run(args.Name()+"."+f.Name, func(t *testing.T) {
			p, ok := schemaProps[tag]
			require.Truef(t, ok, "the schema has input %q", tag)
			require.Falsef(t, p.Secret, "input %q is secret in the schema; the SDK would mark it so", tag)
			kind := goKind(t, f.Type)
			require.Equal(t, p.kind(), kind, "schema kind (first), Args kind (second)")

			sdkArg, ok := src.structs[sdkArgs][f.Name]
			require.Truef(t, ok, "the SDK's %s has %s", sdkArgs, f.Name)
			elem, ok := src.structs[sdkElem][f.Name]
			require.Truef(t, ok, "the SDK's %s has %s", sdkElem, f.Name)
			require.Equal(t, elem.tag, tag, "property name in the SDK (first) and here (second)")
			require.Equal(t, astKind(elem.expr), kind, "SDK kind of %s (first), kind here (second)", elem.typ)
			if sdkArg.tag != "" {
				require.Equal(t, sdkArg.tag, tag, "the SDK's own %s tag", sdkArgs)
			}
			if f.Type.Kind() == reflect.Pointer {
				// An object type: the SDK's optional input is <Type>PtrInput; its fields are checked in turn.
				require.Equal(t, kind+"PtrInput", sdkArg.typ, "the SDK's input type")
				obj, ok := s.Types[p.Ref[len("#/types/"):]]
				require.Truef(t, ok, "the schema has type %s", p.Ref)
				checkArgs(t, s, src, f.Type.Elem(), obj.Properties, kind+"Args", kind)
				return
			}
			require.Equal(t, sdkArg.typ, f.Type.String(), "the SDK's input type (first), here (second)")
		})
	}
}

// checkOutputs checks every output of one of this package's resources against the schema and the SDK's resource.
func checkOutputs(t *testing.T, res reflect.Type, schemaProps map[string]propertySpec, sdkRes map[string]sdkField) {
	t.Helper()
	for i := range res.NumField() {
		f := res.Field(i)
		if f.Anonymous {
			continue
		}
		tag := f.Tag.Get("pulumi")
		t.Run(res.Name()+"."+f.Name, func(t *testing.T) {
			p, ok := schemaProps[tag]
			require.Truef(t, ok, "the schema has output %q", tag)
			require.Equal(t, p.kind(), goKind(t, f.Type), "schema kind (first), kind here (second)")
			sdk, ok := sdkRes[f.Name]
			require.Truef(t, ok, "the SDK's resource has %s", f.Name)
			require.Equal(t, sdk.tag, tag, "property name in the SDK (first) and here (second)")
			require.Equal(t, sdk.typ, f.Type.String(), "output type in the SDK (first) and here (second)")
		})
	}
}

// TestMatchesSchemaAndSDK checks the two resources, their Args and outputs, and what their constructors do against
// pulumi-kubernetes' schema and the generated Go of the pinned SDK, which this package must not import.
func TestMatchesSchemaAndSDK(t *testing.T) {
	t.Parallel()
	mods := moduleDirs(t)
	s := readSchema(t, mods[providerModule].Dir)
	sdkDir := filepath.Join(mods[sdkModule].Dir, "go", "kubernetes")

	utilities := parseSDK(t, filepath.Join(sdkDir, "utilities"), "pulumiUtilities.go", "pulumiVersion.go")
	t.Run("plugin version option", func(t *testing.T) {
		defaults := utilities.constructor(t, "PkgResourceDefaultOpts")
		require.Equal(t, []string{"Version"}, defaults.pulumiCalls,
			"PkgResourceDefaultOpts adds pulumi.Version and no other option (no PluginDownloadURL)")
		var version string
		ast.Inspect(utilities.funcs["PkgResourceDefaultOpts"].Body, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok && types.ExprString(call.Fun) == "semver.MustParse" {
				version = stringCall(t, call, "semver.MustParse")
			}
			return true
		})
		require.Equal(t, pulumik8s.PluginVersion, version, "the version PkgResourceDefaultOpts sets")
		require.Equal(t, `""`, types.ExprString(utilities.vars["pluginDownloadURL"]), "the SDK's plugin download URL")
	})

	helm := parseSDK(t, filepath.Join(sdkDir, "helm", "v3"), "release.go", "pulumiTypes.go")
	yaml := parseSDK(t, filepath.Join(sdkDir, "yaml", "v2"), "configFile.go")
	tests := []struct {
		token    string
		src      sdkSource
		sdk      sdkResource
		args     reflect.Type
		resource reflect.Type
		want     sdkConstructor // what the SDK's constructor does, and so NewX here
	}{
		{
			pulumik8s.ReleaseType, helm,
			sdkResource{"Release", "ReleaseArgs", "releaseArgs", "NewRelease", "pulumi.CustomResourceState"},
			reflect.TypeFor[pulumik8s.ReleaseArgs](), reflect.TypeFor[pulumik8s.Release](),
			sdkConstructor{register: "RegisterResource", required: []string{"Chart"}, pulumiCalls: []string{"StringPtr"},
				utilities: []string{"PkgResourceDefaultOpts"}},
		},
		{
			pulumik8s.ConfigFileType, yaml,
			sdkResource{"ConfigFile", "ConfigFileArgs", "configFileArgs", "NewConfigFile", "pulumi.ResourceState"},
			reflect.TypeFor[pulumik8s.ConfigFileArgs](), reflect.TypeFor[pulumik8s.ConfigFile](),
			sdkConstructor{register: "RegisterRemoteComponentResource", required: []string{"File"},
				utilities: []string{"PkgResourceDefaultOpts"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			r, ok := s.Resources[tt.token]
			require.Truef(t, ok, "the schema has %s", tt.token)
			require.Equal(t, tt.want.register == "RegisterRemoteComponentResource", r.IsComponent, "a component in the schema")
			schemaAndSDKAgree(t, r.InputProperties, r.Properties, tt.src.structs[tt.sdk.elem], tt.src.structs[tt.sdk.resource])
			noGeneratedOptions(t, tt.token, r)

			c := tt.src.constructor(t, tt.sdk.constructor)
			require.Equal(t, tt.token, c.token, "the token %s registers", tt.sdk.constructor)
			require.Equal(t, tt.want.register, c.register, "how %s registers", tt.sdk.constructor)
			require.Equal(t, tt.want.required, c.required, "the Args %s requires", tt.sdk.constructor)
			var requiredTags []string
			for _, f := range c.required {
				requiredTags = append(requiredTags, tt.src.structs[tt.sdk.elem][f].tag)
			}
			require.ElementsMatch(t, r.RequiredInputs, requiredTags, "required inputs: schema (first), SDK (second)")
			require.Equal(t, tt.want.pulumiCalls, c.pulumiCalls, "pulumi.* calls of %s (options it adds)", tt.sdk.constructor)
			require.Equal(t, tt.want.utilities, c.utilities, "utilities.* calls of %s", tt.sdk.constructor)
			require.Equal(t, []string{tt.sdk.embeds}, tt.src.embeds[tt.sdk.resource], "the SDK's resource embeds")
			require.Equal(t, strings.ReplaceAll(tt.sdk.embeds, "pulumi.", ""), tt.resource.Field(0).Name, "the resource here embeds the same")

			for field, value := range c.assigned {
				// The one input a constructor sets: compat, a const in the schema, sent by NewRelease (TestReleaseInputs).
				require.Equal(t, "Compat", field, "%s sets only args.Compat", tt.sdk.constructor)
				tag := tt.src.structs[tt.sdk.elem][field].tag
				sent := stringCall(t, value, "pulumi.StringPtr")
				require.Equal(t, r.InputProperties[tag].Const, sent, "the schema's const (first), the SDK's value (second)")
				require.Equal(t, "true", sent, "the value NewRelease sends (TestReleaseInputs)")
			}
			for _, f := range c.required {
				_, ok := tt.args.FieldByName(f)
				require.Truef(t, ok, "the Args here have the required %s (TestRequiredArgs)", f)
			}

			checkArgs(t, s, tt.src, tt.args, r.InputProperties, tt.sdk.args, tt.sdk.elem)
			checkOutputs(t, tt.resource, r.Properties, tt.src.structs[tt.sdk.resource])
		})
	}
	t.Run("RepositoryOpts type", func(t *testing.T) {
		schemaAndSDKAgree(t, s.Types["kubernetes:helm.sh/v3:RepositoryOpts"].Properties, nil, helm.structs["RepositoryOpts"], nil)
	})
}
