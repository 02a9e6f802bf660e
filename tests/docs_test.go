package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

// mdLink matches an inline Markdown link or image, [text](target) or [text](target "title"); the target is group 1.
var mdLink = regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)

// codeSpan matches inline code, whose brackets are not links.
var codeSpan = regexp.MustCompile("`[^`]*`")

// TestDocsLinksResolve follows every relative link of README.md and docs/*.md: the file it names must exist and, when
// it names a heading (#anchor) of a Markdown file, that file must have the heading. A newcomer who follows the README
// into docs/ must never land on a missing page or section.
func TestDocsLinksResolve(t *testing.T) {
	pages, err := filepath.Glob("../docs/*.md")
	require.NoError(t, err)
	pages = append([]string{"../README.md"}, pages...)

	anchors := map[string]map[string]bool{} // Markdown file (clean path) -> its headings' anchors
	anchorsOf := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		anchors[path] = headingAnchors(string(raw))
		return anchors[path]
	}

	var broken []string
	for _, page := range pages {
		raw, err := os.ReadFile(page)
		require.NoError(t, err)
		name := strings.TrimPrefix(filepath.ToSlash(page), "../")
		for _, l := range links(string(raw)) {
			if isExternal(l.target) {
				continue
			}
			file, anchor, _ := strings.Cut(l.target, "#")
			target := filepath.Clean(page)
			if file != "" {
				target = filepath.Join(filepath.Dir(page), filepath.FromSlash(file))
			}
			info, err := os.Stat(target)
			if err != nil {
				broken = append(broken, l.where(name)+": no file "+strings.TrimPrefix(filepath.ToSlash(target), "../"))
				continue
			}
			if anchor == "" {
				continue
			}
			if info.IsDir() || !strings.HasSuffix(target, ".md") {
				broken = append(broken, l.where(name)+": #"+anchor+" on a file that is not Markdown")
				continue
			}
			if !anchorsOf(target)[anchor] {
				broken = append(broken, l.where(name)+": no heading with anchor #"+anchor+" in "+
					strings.TrimPrefix(filepath.ToSlash(target), "../"))
			}
		}
	}
	if len(broken) > 0 {
		t.Errorf("%d broken relative links:\n%s", len(broken), strings.Join(broken, "\n"))
	}
}

// TestDocsHeadingAnchors pins the GitHub anchor rules the link test relies on.
func TestDocsHeadingAnchors(t *testing.T) {
	got := headingAnchors("# Safe destroy\n## The AWS role for GitHub's OIDC token\n### Cost of a change: `savings diff`\n" +
		"```sh\n# not a heading\n```\n## Flags\n## Flags\n#### Record\n")
	require.Equal(t, map[string]bool{
		"safe-destroy": true, "the-aws-role-for-githubs-oidc-token": true, "cost-of-a-change-savings-diff": true,
		"flags": true, "flags-1": true, "record": true,
	}, got)
}

// link is one relative or external link of a page, with its line for the failure message.
type link struct {
	line   int
	target string
}

func (l link) where(page string) string {
	return page + ":" + strconv.Itoa(l.line) + ": (" + l.target + ")"
}

// links returns the inline links of a Markdown page, outside fenced code blocks and code spans; a link's text may
// run over several lines.
func links(md string) []link {
	lines := strings.Split(md, "\n")
	fenced := false
	for i, line := range lines {
		fence := strings.HasPrefix(strings.TrimSpace(line), "```")
		if fence || fenced {
			lines[i] = ""
		}
		if fence {
			fenced = !fenced
		}
	}
	text := codeSpan.ReplaceAllStringFunc(strings.Join(lines, "\n"), func(span string) string {
		return strings.Repeat("\n", strings.Count(span, "\n")) // keeps line numbers
	})
	var out []link
	for _, m := range mdLink.FindAllStringSubmatchIndex(text, -1) {
		out = append(out, link{line: strings.Count(text[:m[0]], "\n") + 1, target: text[m[2]:m[3]]})
	}
	return out
}

func isExternal(target string) bool {
	for _, scheme := range []string{"http://", "https://", "mailto:"} {
		if strings.HasPrefix(target, scheme) {
			return true
		}
	}
	return false
}

// headingAnchors returns the anchors GitHub gives a page's ATX headings: lowercased, spaces to '-', every character
// but letters, digits, '-' and '_' dropped, and "-1", "-2", ... after a repeated one.
func headingAnchors(md string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	fenced := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		text := strings.TrimLeft(line, "#")
		if fenced || text == line || len(line)-len(text) > 6 || !strings.HasPrefix(text, " ") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(text)) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_':
				b.WriteRune(r)
			}
		}
		anchor := b.String()
		if n := seen[anchor]; n > 0 {
			seen[anchor]++
			anchor += "-" + strconv.Itoa(n)
		} else {
			seen[anchor] = 1
		}
		out[anchor] = true
	}
	return out
}

// A docs page that shows a golden output (a fenced block holding the golden file's command line) shows it whole and
// current: the golden tests keep examples/*.out equal to what the tools print.
func TestDocsShowCurrentGoldenOutputs(t *testing.T) {
	goldens, err := filepath.Glob("../examples/*.out")
	require.NoError(t, err)
	pages, err := filepath.Glob("../docs/*.md")
	require.NoError(t, err)
	shown := 0
	for _, page := range append([]string{"../README.md"}, pages...) {
		md, err := os.ReadFile(page)
		require.NoError(t, err)
		blocks := strings.Split(string(md), "```")
		for i := 1; i < len(blocks); i += 2 {
			body := blocks[i][strings.Index(blocks[i], "\n")+1:]
			for _, g := range goldens {
				want, err := os.ReadFile(g)
				require.NoError(t, err)
				command := ""
				for _, line := range strings.Split(string(want), "\n") {
					if strings.HasPrefix(line, "$ go run ") {
						command = line
						break
					}
				}
				if command != "" && strings.Contains(body, command+"\n") {
					require.Equalf(t, string(want), body, "%s shows %s, which has changed: copy it again", page, g)
					shown++
				}
			}
		}
	}
	require.Positive(t, shown, "docs/savings.md shows the billed replay")
}
