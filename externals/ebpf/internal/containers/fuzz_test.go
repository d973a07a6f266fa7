package containers

import (
	"bytes"
	"strings"
	"testing"
)

// The parsers take files written by whoever controls the host's runtime
// state: no input may panic them, and what they accept must be usable.

func FuzzParseDocker(f *testing.F) {
	f.Add(fixture(f, "docker-config.v2.json"), dockerID)
	f.Add(fixture(f, "cri-dockerd-config.v2.json"), criDockerdID)
	f.Add([]byte(`{"ID":"x","Name":"/a","Config":null}`), "x")
	f.Add([]byte(`{"ID":"x","Config":{"Labels":{"io.kubernetes.container.name":"POD"}}}`), "x")
	f.Fuzz(func(t *testing.T, b []byte, id string) {
		m, err := parseDocker(b, id)
		if err == nil && strings.HasPrefix(m.Name, "/") && !strings.HasPrefix(m.Name, "//") && m.KubeContainer == "" {
			t.Errorf("name %q keeps Docker's leading slash", m.Name)
		}
		if err != nil && m != (Meta{}) {
			t.Errorf("error %v with a result %+v", err, m)
		}
	})
}

func FuzzParseOCI(f *testing.F) {
	for _, name := range []string{"containerd-config.json", "crio-config.json", "podman-config.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"annotations":{"nerdctl/name":"a"}}`))
	f.Add([]byte(`{"annotations":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ann, err := parseOCI(b)
		if err != nil {
			return
		}
		m := ociMeta("containerd", ann)
		if m.KubeContainer != "" && m.KubeContainer != "POD" && m.Name != m.KubeContainer {
			t.Errorf("Kubernetes container %q but name %q", m.KubeContainer, m.Name)
		}
	})
}

func FuzzFindStorageEntry(f *testing.F) {
	f.Add(fixture(f, "podman-containers.json"), podmanID)
	f.Add([]byte(`[]`), "x")
	f.Add([]byte(`[{"id":"x","names":["a"]},{"id":"y"}]`), "y")
	f.Add([]byte(`{"id":"x"}`), "x")
	f.Fuzz(func(t *testing.T, b []byte, id string) {
		for _, limit := range []int64{int64(len(b)), int64(len(b) / 2)} {
			e, ok, err := findStorageEntry(&capped{r: bytes.NewReader(b), n: limit}, id)
			if ok && (err != nil || e.ID != id) {
				t.Errorf("found entry %q for %q with error %v", e.ID, id, err)
			}
			e.imageName() // metadata is JSON in a string: must not panic either
		}
	})
}
