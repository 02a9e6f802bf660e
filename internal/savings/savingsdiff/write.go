package savingsdiff

import (
	"bytes"
	"fmt"
	"io"
	"text/tabwriter"
)

// CommentMarker starts the Markdown so that the workflow finds, and updates, its one comment on a pull request.
const CommentMarker = "<!-- karpenter-savings: savings diff -->"

// MaxCommentBytes is GitHub's limit on the body of an issue or pull-request comment (65,536 characters); the
// Markdown stays under it by folding away the details it cannot hold.
const MaxCommentBytes = 65536

// WriteTable prints the diff for a terminal.
func (d *Diff) WriteTable(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n%s\n\n", d.summary(), d.basis())
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE POOL\tARCH\tCAPACITY\tNODES BEFORE\tNODES AFTER")
	for _, n := range d.Nodes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\n", n.NodePool, n.Arch, n.CapacityType, n.Base, n.Head)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&b, "\nWorkloads that moved: %d\n", len(d.Moved))
	for _, m := range d.Moved {
		fmt.Fprintf(&b, "  %s %s/%s: %s -> %s\n", m.Kind, m.Namespace, m.Name, placementText(m.Base), placementText(m.Head))
	}
	fmt.Fprintf(&b, "\nConfiguration changes: %d\n", len(d.ConfigChanges))
	for _, c := range d.ConfigChanges {
		fmt.Fprintf(&b, "  %s: %s -> %s\n", c.Key, orUnset(c.Base), orUnset(c.Head))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteMarkdown prints the diff as a pull-request comment: the summary line, the node table, and the moved
// workloads and config changes folded into <details>; within MaxCommentBytes.
func (d *Diff) WriteMarkdown(w io.Writer) error {
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s\n### Savings estimate: %s\n\n_%s._\n\n", CommentMarker, d.summary(), d.basis())
	fmt.Fprintln(&head, "| Node pool | Arch | Capacity | Nodes before | Nodes after |")
	fmt.Fprintln(&head, "| --- | --- | --- | ---: | ---: |")
	for _, n := range d.Nodes {
		fmt.Fprintf(&head, "| `%s` | %s | %s | %d | %d |\n", n.NodePool, n.Arch, n.CapacityType, n.Base, n.Head)
	}
	var details bytes.Buffer
	fmt.Fprintf(&details, "\n<details><summary>Workloads that moved (%d)</summary>\n\n", len(d.Moved))
	if len(d.Moved) > 0 {
		fmt.Fprintln(&details, "| Workload | Before | After |\n| --- | --- | --- |")
		for _, m := range d.Moved {
			fmt.Fprintf(&details, "| %s `%s/%s` | %s | %s |\n", m.Kind, m.Namespace, m.Name, placementText(m.Base), placementText(m.Head))
		}
	}
	fmt.Fprintf(&details, "\n</details>\n\n<details><summary>Configuration changes (%d)</summary>\n\n", len(d.ConfigChanges))
	if len(d.ConfigChanges) > 0 {
		fmt.Fprintln(&details, "| Key | Before | After |\n| --- | --- | --- |")
		for _, c := range d.ConfigChanges {
			fmt.Fprintf(&details, "| `%s` | `%s` | `%s` |\n", c.Key, orUnset(c.Base), orUnset(c.Head))
		}
	}
	fmt.Fprintln(&details, "\n</details>")
	out := append(head.Bytes(), details.Bytes()...)
	if len(out) > MaxCommentBytes {
		note := fmt.Sprintf("\n_The details (%d moved workloads, %d configuration changes) exceed GitHub's comment size; run `go run ./cmd/savings diff` for them._\n",
			len(d.Moved), len(d.ConfigChanges))
		out = append(head.Bytes(), note...)
	}
	_, err := w.Write(out)
	return err
}
