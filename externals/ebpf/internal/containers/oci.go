package containers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ociSpec is the part of an OCI runtime spec (a bundle's config.json)
// used here.
type ociSpec struct {
	Annotations map[string]string `json:"annotations"`
}

func parseOCI(b []byte) (map[string]string, error) {
	var s ociSpec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, jsonErr(b, err)
	}
	return s.Annotations, nil
}

func readOCI(path string) (map[string]string, error) {
	b, err := readCapped(path, configLimit)
	if err != nil {
		return nil, err
	}
	ann, err := parseOCI(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ann, nil
}

// ociMeta names a container from its spec's annotations.
func ociMeta(runtime string, ann map[string]string) Meta {
	m := Meta{Runtime: runtime}
	for _, k := range []string{"io.kubernetes.cri-o.ContainerName", "nerdctl/name"} {
		if m.Name == "" {
			m.Name = ann[k]
		}
	}
	for _, k := range []string{"io.kubernetes.cri.image-name", "io.kubernetes.cri-o.ImageName"} {
		if m.Image == "" {
			m.Image = ann[k]
		}
	}
	kube(&m, ann)
	return m
}

// containerd keeps each running task's bundle per namespace (k8s.io for
// Kubernetes, moby for Docker's tasks, default for ctr and nerdctl).
var containerdTaskDirs = []string{
	"run/containerd/io.containerd.runtime.v2.task",
	"run/containerd/io.containerd.runtime.v1.linux",
}

func fromContainerd(root, id string) (Meta, bool, error) {
	for _, dir := range containerdTaskDirs {
		namespaces, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			continue
		}
		for _, ns := range namespaces {
			path := filepath.Join(root, dir, ns.Name(), id, "config.json")
			ann, err := readOCI(path)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return Meta{}, false, err
			}
			return ociMeta("containerd", ann), true, nil
		}
	}
	return Meta{}, false, os.ErrNotExist
}

// containers/storage (CRI-O, podman): the run root has the bundles of
// running containers, the graph root the containers' lists and podman's
// bundles.
const (
	storageRun   = "run/containers/storage"
	storageGraph = "var/lib/containers/storage"
)

func fromStorage(root, id string) (Meta, bool, error) {
	var m Meta
	found := false
	for _, base := range []string{storageRun, storageGraph} {
		path := filepath.Join(root, base, "overlay-containers", id, "userdata", "config.json")
		ann, err := readOCI(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return Meta{}, false, err
		}
		runtime := "cri-o"
		if ann["io.container.manager"] == "libpod" {
			runtime = "podman"
		}
		m, found = ociMeta(runtime, ann), true
		break
	}
	if m.Name != "" {
		return m, true, nil
	}
	// podman records its names in containers/storage's list only.
	for _, base := range []string{storageGraph, storageRun} {
		for _, name := range []string{"containers.json", "volatile-containers.json"} {
			path := filepath.Join(root, base, "overlay-containers", name)
			e, ok, err := storageEntry(path, id)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return Meta{}, false, err
			}
			if !ok {
				continue
			}
			if !found {
				m = Meta{Runtime: "podman"}
			}
			if len(e.Names) > 0 {
				m.Name = e.Names[0]
			}
			if m.Image == "" {
				m.Image = e.imageName()
			}
			return m, true, nil
		}
	}
	if found {
		return m, true, nil
	}
	return Meta{}, false, os.ErrNotExist
}

// storageContainer is one entry of containers/storage's containers.json.
type storageContainer struct {
	ID       string   `json:"id"`
	Names    []string `json:"names"`
	Metadata string   `json:"metadata"` // JSON in a string: {"image-name":...,"name":...}
}

func (c *storageContainer) imageName() string {
	var md struct {
		ImageName string `json:"image-name"`
	}
	if json.Unmarshal([]byte(c.Metadata), &md) != nil {
		return ""
	}
	return md.ImageName
}

func storageEntry(path, id string) (storageContainer, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return storageContainer{}, false, err
	}
	defer f.Close()
	e, ok, err := findStorageEntry(&capped{r: f, n: storageLimit}, id)
	if errors.Is(err, errTooLarge) {
		return e, false, fmt.Errorf("%s: larger than %d bytes, read no further", path, storageLimit)
	}
	if err != nil {
		return e, false, fmt.Errorf("%s: %w", path, err)
	}
	return e, ok, nil
}

// findStorageEntry streams a containers.json array, one entry at a time,
// and stops at the entry of id.
func findStorageEntry(r io.Reader, id string) (storageContainer, bool, error) {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return storageContainer{}, false, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return storageContainer{}, false, fmt.Errorf("offset %d: want an array of containers, got %v", dec.InputOffset(), tok)
	}
	for i := 0; dec.More(); i++ {
		var c storageContainer
		if err := dec.Decode(&c); err != nil {
			return storageContainer{}, false, fmt.Errorf("entry %d (offset %d): %w", i, dec.InputOffset(), err)
		}
		if c.ID == id {
			return c, true, nil
		}
	}
	if _, err := dec.Token(); err != nil {
		return storageContainer{}, false, fmt.Errorf("offset %d: %w", dec.InputOffset(), err)
	}
	return storageContainer{}, false, nil
}
