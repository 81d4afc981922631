package cognitojwt_test

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestDocSnippetsCompile type-checks every ```go block of README.md and
// docs/*.md, so the docs never show code that does not build.
//
// The rule for writers of docs:
//
//   - A block that starts with "package" is a whole file and must compile
//     as one.
//   - Any other block is a fragment: it is checked as the body of a
//     function, which may use the names in snippetScope (ctx, token, v,
//     auth, mux, w, r) as if declared, and refer to the packages of
//     snippetImports by their names without import lines. Unused variables
//     and imports are forgiven (fragments often stop early), and so are
//     other lower-case names the fragment uses but does not declare (the
//     reader's own handlers, such as orders); qualified names (a typo in
//     cognitojwt.Config) and the snippetScope names used out of their
//     scope (auth inside a func declared beside the code that defines it)
//     are errors. Top-level
//     declarations (func, type, var, const, import) at the start of a line
//     go outside that function.
//   - A block that cannot compile on its own (a struct field, a bare
//     expression, code for another module such as chi or gin) is preceded
//     by the line "<!-- not compiled: REASON -->", with a reason.
func TestDocSnippetsCompile(t *testing.T) {
	files, _ := filepath.Glob("docs/*.md")
	files = append([]string{"README.md"}, files...)
	fset := token.NewFileSet()
	imp := exportImporter(t, fset)
	dir, _ := os.Getwd()
	n := 0
	for _, file := range files {
		for _, s := range goBlocks(t, file) {
			if s.skip {
				continue
			}
			n++
			t.Run(fmt.Sprintf("%s:%d", file, s.line), func(t *testing.T) {
				src := s.code
				if !strings.HasPrefix(strings.TrimSpace(src), "package ") {
					src = wrapFragment(src)
				}
				name := filepath.Join(dir, fmt.Sprintf("snippet_%s_%d.go", strings.NewReplacer("/", "_", ".", "_").Replace(file), s.line))
				f, err := parser.ParseFile(fset, name, src, 0)
				if err != nil {
					t.Fatalf("%s:%d does not parse: %v\n%s", file, s.line, err, numbered(src))
				}
				var errs []string
				conf := types.Config{Importer: imp, Error: func(err error) {
					msg := err.Error()
					if strings.Contains(msg, "declared and not used") || strings.Contains(msg, "imported and not used") || readersOwn(msg) {
						return
					}
					errs = append(errs, msg)
				}}
				conf.Check("snippet", fset, []*ast.File{f}, nil)
				if len(errs) > 0 {
					t.Errorf("%s:%d does not compile:\n%s\n%s", file, s.line, strings.Join(errs, "\n"), numbered(src))
				}
			})
		}
	}
	if n == 0 {
		t.Fatal("no ```go block found: the extractor is broken")
	}
}

type snippet struct {
	line int
	code string
	skip bool
}

// goBlocks returns the ```go blocks of a Markdown file.
func goBlocks(t *testing.T, file string) []snippet {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []snippet
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```go" {
			continue
		}
		s := snippet{line: i + 1}
		for j := i - 1; j >= 0 && j >= i-2; j-- {
			if strings.HasPrefix(strings.TrimSpace(lines[j]), "<!-- not compiled:") {
				s.skip = true
			}
		}
		var b strings.Builder
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			b.WriteString(lines[i] + "\n")
		}
		s.code = b.String()
		out = append(out, s)
	}
	return out
}

// snippetScope is what a fragment may use without declaring it.
const snippetScope = `ctx context.Context, token string, v *cognitojwt.Verifier, auth *httpauth.Auth[*cognitojwt.Claims], mux *http.ServeMux, w http.ResponseWriter, r *http.Request`

// snippetImports are the packages a fragment may name without importing.
var snippetImports = map[string]string{
	"cognitojwt": "github.com/cognitojwt/cognitojwt", "httpauth": "github.com/cognitojwt/cognitojwt/httpauth",
	"oidc": "github.com/cognitojwt/cognitojwt/oidc", "jwks": "github.com/cognitojwt/cognitojwt/jwks",
	"jws": "github.com/cognitojwt/cognitojwt/jws", "alb": "github.com/cognitojwt/cognitojwt/alb",
	"cognitotest": "github.com/cognitojwt/cognitojwt/cognitotest", "revocation": "github.com/cognitojwt/cognitojwt/revocation",
	"context": "context", "errors": "errors", "fmt": "fmt", "http": "net/http", "json": "encoding/json",
	"log": "log", "slog": "log/slog", "os": "os", "strings": "strings", "time": "time", "expvar": "expvar",
	"httptest": "net/http/httptest", "testing": "testing", "io": "io",
}

// readersOwn reports whether a type error is only an undefined lower-case
// name that is not in snippetScope: the reader's own code.
func readersOwn(msg string) bool {
	_, name, ok := strings.Cut(msg, "undefined: ")
	if !ok || strings.Contains(name, ".") || name == "" || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	return !regexp.MustCompile(`\b` + name + ` `).MatchString(snippetScope)
}

var topLevel = regexp.MustCompile(`^(func|type|var|const|import) `)

// wrapFragment turns a fragment into a file: imports for the package
// names it uses, its top-level declarations as they are, and the rest as
// the body of a function with snippetScope as parameters.
func wrapFragment(code string) string {
	var body, decls []string
	inDecl := false
	for _, l := range strings.Split(code, "\n") {
		switch {
		case topLevel.MatchString(l):
			inDecl = true
		case l != "" && l[0] != ' ' && l[0] != '\t' && l[0] != '}' && l[0] != ')' && !strings.HasPrefix(l, "//"):
			inDecl = false
		}
		if inDecl {
			decls = append(decls, l)
		} else {
			body = append(body, l)
		}
	}
	var imports []string
	for name, path := range snippetImports {
		if regexp.MustCompile(`\b`+name+`\.`).MatchString(code) || strings.Contains(snippetScope, name+".") {
			imports = append(imports, fmt.Sprintf("%s %q", name, path))
		}
	}
	sort.Strings(imports)
	return "package snippet\n\nimport (\n" + strings.Join(imports, "\n") + "\n)\n\n" + strings.Join(decls, "\n") +
		"\n\nfunc _(" + snippetScope + ") {\n{\n" + strings.Join(body, "\n") + "\n}\n}\n"
}

// exportImporter imports from the compiler's export data, which one
// "go list -export" builds (or finds in the build cache) for every package
// a snippet may import and their dependencies: much faster than
// type-checking them from source.
func exportImporter(t *testing.T, fset *token.FileSet) types.Importer {
	var paths []string
	for _, p := range snippetImports {
		paths = append(paths, p)
	}
	cmd := exec.Command("go", append([]string{"list", "-e", "-export", "-deps", "-f", "{{.ImportPath}}={{.Export}}"}, paths...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -export: %v", err)
	}
	exports := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if path, file, ok := strings.Cut(l, "="); ok && file != "" {
			exports[path] = file
		}
	}
	return importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("package %s is not one a snippet may import (see snippetImports)", path)
		}
		return os.Open(file)
	})
}

func numbered(src string) string {
	var b strings.Builder
	for i, l := range strings.Split(src, "\n") {
		fmt.Fprintf(&b, "%3d  %s\n", i+1, l)
	}
	return b.String()
}
