package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestKubernetesExamples: the example configuration passes proxy --check,
// and every Deployment has the probes, limits, read-only root filesystem
// and non-root user docs and README promise, mounting the generated
// ConfigMap.
func TestKubernetesExamples(t *testing.T) {
	dir := "../../examples/kubernetes"
	if code, _, errs := runCmd(t, "", "proxy", "--config", filepath.Join(dir, "gateway.yaml"), "--check"); code != 0 {
		t.Fatalf("examples/kubernetes/gateway.yaml: exit %d %s", code, errs)
	}
	deployments := 0
	for _, f := range []string{"sidecar-deployment.yaml", "standalone-deployment.yaml", "pdb.yaml", "kustomization.yaml"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc struct {
				Kind string
				Spec struct {
					Template struct {
						Metadata struct{ Annotations map[string]string }
						Spec     struct {
							SecurityContext struct {
								RunAsNonRoot bool `yaml:"runAsNonRoot"`
							} `yaml:"securityContext"`
							Containers []struct {
								Image, Name    string
								Args           []string
								ReadinessProbe *struct {
									HTTPGet struct{ Path string } `yaml:"httpGet"`
								} `yaml:"readinessProbe"`
								LivenessProbe *struct {
									HTTPGet struct{ Path string } `yaml:"httpGet"`
								} `yaml:"livenessProbe"`
								Resources       struct{ Limits, Requests map[string]string }
								SecurityContext struct {
									ReadOnlyRootFilesystem bool `yaml:"readOnlyRootFilesystem"`
								} `yaml:"securityContext"`
							}
							Volumes []struct {
								ConfigMap struct{ Name string } `yaml:"configMap"`
							}
						}
					}
				}
			}
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if doc.Kind != "Deployment" {
				continue
			}
			deployments++
			ps := doc.Spec.Template.Spec
			if !ps.SecurityContext.RunAsNonRoot || doc.Spec.Template.Metadata.Annotations["cognitojwt.io/config-sha256"] == "" ||
				len(ps.Volumes) != 1 || ps.Volumes[0].ConfigMap.Name != "cognitojwt-config" {
				t.Errorf("%s: pod spec %+v", f, ps)
			}
			gw := ps.Containers[0]
			if !strings.HasPrefix(gw.Image, "cognitojwt") || gw.ReadinessProbe == nil || gw.ReadinessProbe.HTTPGet.Path != "/readyz" ||
				gw.LivenessProbe == nil || gw.LivenessProbe.HTTPGet.Path != "/healthz" || gw.Resources.Limits["memory"] == "" ||
				!gw.SecurityContext.ReadOnlyRootFilesystem || strings.Join(gw.Args[:3], " ") != "proxy --config /etc/cognitojwt/gateway.yaml" {
				t.Errorf("%s: gateway container %+v", f, gw)
			}
		}
	}
	if deployments != 2 {
		t.Errorf("%d Deployments, want the sidecar and the standalone one", deployments)
	}
}
