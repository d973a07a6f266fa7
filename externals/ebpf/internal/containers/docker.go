package containers

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
)

// dockerConfig is the part of Docker's config.v2.json used here.
type dockerConfig struct {
	ID     string `json:"ID"`
	Name   string `json:"Name"` // "/web", the leading slash is Docker's
	Config *struct {
		Image  string            `json:"Image"`
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
}

// parseDocker reads a config.v2.json of the container id.
func parseDocker(b []byte, id string) (Meta, error) {
	var c dockerConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return Meta{}, jsonErr(b, err)
	}
	if c.ID != id {
		return Meta{}, fmt.Errorf("field ID is %q, want the directory's id %s", c.ID, id)
	}
	m := Meta{Runtime: "docker", Name: strings.TrimPrefix(c.Name, "/")}
	if c.Config != nil {
		m.Image = c.Config.Image
		kube(&m, c.Config.Labels) // dockershim and cri-dockerd label pods' containers
	}
	return m, nil
}

func fromDocker(root, id string) (Meta, bool, error) {
	path := filepath.Join(root, "var/lib/docker/containers", id, "config.v2.json")
	b, err := readCapped(path, configLimit)
	if err != nil {
		return Meta{}, false, err
	}
	m, err := parseDocker(b, id)
	if err != nil {
		return Meta{}, false, fmt.Errorf("%s: %w", path, err)
	}
	return m, true, nil
}

// kube fills the Kubernetes fields from labels or annotations: the
// io.kubernetes.{pod,container}.* keys of kubelet's dockershim, cri-dockerd
// and CRI-O, and containerd's CRI plugin's io.kubernetes.cri.*. The
// Kubernetes container name becomes the name.
func kube(m *Meta, kv map[string]string) {
	first := func(keys ...string) string {
		for _, k := range keys {
			if v := kv[k]; v != "" {
				return v
			}
		}
		return ""
	}
	m.PodName = first("io.kubernetes.pod.name", "io.kubernetes.cri.sandbox-name")
	m.PodNamespace = first("io.kubernetes.pod.namespace", "io.kubernetes.cri.sandbox-namespace")
	m.PodUID = first("io.kubernetes.pod.uid", "io.kubernetes.cri.sandbox-uid")
	m.KubeContainer = first("io.kubernetes.container.name", "io.kubernetes.cri.container-name")
	if m.KubeContainer != "" && m.KubeContainer != "POD" { // dockershim's sandboxes are "POD"
		m.Name = m.KubeContainer
	}
}
