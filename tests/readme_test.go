package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// docs/configuration.md's table of keys is generated from Pulumi.yaml, the one home of keys, types, defaults and
// descriptions; this test keeps the two from drifting and prints the table to paste when they do.
func TestDocsConfigTableMatchesPulumiYAML(t *testing.T) {
	raw, err := os.ReadFile("../Pulumi.yaml")
	require.NoError(t, err)
	var project struct {
		Config yaml.Node `yaml:"config"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &project))

	var table strings.Builder
	table.WriteString("| Key | Type | Default | Description |\n| --- | --- | --- | --- |\n")
	node := project.Config
	for i := 0; i+1 < len(node.Content); i += 2 {
		key := node.Content[i].Value
		var decl struct {
			Type        string `yaml:"type"`
			Default     any    `yaml:"default"`
			Description string `yaml:"description"`
		}
		require.NoError(t, node.Content[i+1].Decode(&decl))
		def := fmt.Sprint(decl.Default)
		switch decl.Default.(type) {
		case map[string]any, []any:
			b, err := json.Marshal(decl.Default)
			require.NoError(t, err)
			def = string(b)
		}
		fmt.Fprintf(&table, "| `%s` | %s | `%s` | %s |\n", key, decl.Type, def, strings.Join(strings.Fields(decl.Description), " "))
	}

	doc, err := os.ReadFile("../docs/configuration.md")
	require.NoError(t, err)
	require.Containsf(t, string(doc), table.String(),
		"docs/configuration.md's configuration table is out of date; replace it with:\n\n%s", table.String())
}
