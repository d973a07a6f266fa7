package containers

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	dockerID     = "5d2f1c9e0a7b4c3d8e6f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"
	criDockerdID = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
	containerdID = "3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a"
	crioID       = "6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b"
	podmanID     = "b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8"
	unknownID    = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
)

// place writes data at rel under root, creating the runtime's directories.
func place(t testing.TB, root, rel string, data []byte) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hostRoot lays the fixtures out where each runtime writes them.
func hostRoot(t *testing.T) string {
	root := t.TempDir()
	place(t, root, "var/lib/docker/containers/"+dockerID+"/config.v2.json", fixture(t, "docker-config.v2.json"))
	place(t, root, "var/lib/docker/containers/"+criDockerdID+"/config.v2.json", fixture(t, "cri-dockerd-config.v2.json"))
	// containerd has a moby namespace too (Docker's own tasks): searched, empty here.
	if err := os.MkdirAll(filepath.Join(root, "run/containerd/io.containerd.runtime.v2.task/moby"), 0o700); err != nil {
		t.Fatal(err)
	}
	place(t, root, "run/containerd/io.containerd.runtime.v2.task/k8s.io/"+containerdID+"/config.json", fixture(t, "containerd-config.json"))
	place(t, root, "run/containers/storage/overlay-containers/"+crioID+"/userdata/config.json", fixture(t, "crio-config.json"))
	place(t, root, "var/lib/containers/storage/overlay-containers/"+podmanID+"/userdata/config.json", fixture(t, "podman-config.json"))
	place(t, root, "var/lib/containers/storage/overlay-containers/containers.json", fixture(t, "podman-containers.json"))
	return root
}

func TestRuntimes(t *testing.T) {
	r := New(hostRoot(t), nil)
	for _, want := range []Meta{
		{ID: dockerID, Runtime: "docker", Name: "web-frontend", Image: "nginx:1.25"},
		{ID: criDockerdID, Runtime: "docker", Name: "coredns",
			Image:   "registry.k8s.io/coredns/coredns@sha256:a0ead06651cf580044aeb0a0feba63591858fb2e43ade8c9dea45a6a89ae7e5e",
			PodName: "coredns-5dd5756b68-x7k2p", PodNamespace: "kube-system", PodUID: "4a1d3c2b-9e8f-4a7b-8c6d-5e4f3a2b1c0d", KubeContainer: "coredns"},
		{ID: containerdID, Runtime: "containerd", Name: "checkout", Image: "registry.example.com/shop/checkout:2.3.1",
			PodName: "checkout-7c9d8f6b5-q2w4e", PodNamespace: "shop", PodUID: "8c3e2f1a-6b5d-4e9c-a7f8-0d1e2c3b4a59", KubeContainer: "checkout"},
		{ID: crioID, Runtime: "cri-o", Name: "redis", Image: "docker.io/library/redis:7.2",
			PodName: "cache-0", PodNamespace: "data", PodUID: "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", KubeContainer: "redis"},
		{ID: podmanID, Runtime: "podman", Name: "pg-main", Image: "docker.io/library/postgres:16"},
	} {
		got, ok := r.Lookup(want.ID)
		if !ok || got != want {
			t.Errorf("Lookup(%s…) = %+v, %v\nwant %+v", want.ID[:12], got, ok, want)
		}
		if n := r.Name(want.ID); n != want.Name {
			t.Errorf("Name(%s…) = %q, want %q", want.ID[:12], n, want.Name)
		}
	}
	if m, ok := r.Lookup(unknownID); ok {
		t.Errorf("unknown id found: %+v", m)
	}
}

// Sandboxes and containers outside Kubernetes keep their runtime names.
func TestOCINames(t *testing.T) {
	for _, c := range []struct {
		ann  map[string]string
		want string
	}{
		{map[string]string{"nerdctl/name": "nginx-1"}, "nginx-1"},
		{map[string]string{"io.kubernetes.cri-o.ContainerName": "k8s_POD_cache-0_data_2b3c_0", "io.kubernetes.cri-o.ContainerType": "sandbox",
			"io.kubernetes.pod.name": "cache-0"}, "k8s_POD_cache-0_data_2b3c_0"},
		{map[string]string{"io.kubernetes.cri.container-type": "sandbox", "io.kubernetes.cri.sandbox-name": "web-0"}, ""},
		{nil, ""},
	} {
		if got := ociMeta("x", c.ann).Name; got != c.want {
			t.Errorf("ociMeta(%v).Name = %q, want %q", c.ann, got, c.want)
		}
	}
}

// Garbage, oversized, mismatched and unreadable files are misses with an
// error naming the file; a broken file of one runtime hides no other's answer.
func TestBrokenFiles(t *testing.T) {
	root := hostRoot(t)
	var logs bytes.Buffer
	r := New(root, slog.New(slog.NewTextHandler(&logs, nil)))
	bad := func(id string) string { return strings.Repeat(id, 64) }
	docker := func(id string) string { return "var/lib/docker/containers/" + id + "/config.v2.json" }
	place(t, root, docker(bad("1")), []byte(`{"ID":"`+bad("1")+`","Name":"/x","Config":{"Labels":["not","a","map"]}}`))
	place(t, root, docker(bad("2")), []byte("\x00\xffnot json"))
	place(t, root, docker(bad("3")), append([]byte(`{"ID":"`+bad("3")+`","Name":"/huge","Config":{"Env":["`), bytes.Repeat([]byte("A"), configLimit)...))
	place(t, root, docker(bad("4")), []byte(`{"ID":"`+dockerID+`","Name":"/impostor"}`))
	place(t, root, "run/containers/storage/overlay-containers/"+bad("5")+"/userdata/config.json", []byte(`{"annotations":"nope"}`))
	place(t, root, "var/lib/containers/storage/overlay-containers/containers.json", []byte(`[{"id":"`+bad("6")+`","names":"pg"}]`))
	// a broken Docker file in front of a good containerd one
	place(t, root, docker(containerdID), []byte(`{"ID":`))
	for _, c := range []struct{ id, inLog string }{
		{bad("1"), "line 1, column "},
		{bad("2"), "invalid character"},
		{bad("3"), "larger than 1048576 bytes"},
		{bad("4"), "want the directory's id"},
		{bad("5"), "userdata/config.json: line 1, column"},
		{bad("6"), "containers.json: entry 0"},
	} {
		logs.Reset()
		if m, ok := r.Lookup(c.id); ok {
			t.Errorf("%s…: found %+v in a broken file", c.id[:4], m)
		}
		if !strings.Contains(logs.String(), c.inLog) || !strings.Contains(logs.String(), c.id) {
			t.Errorf("%s…: log %q does not say %q", c.id[:4], logs.String(), c.inLog)
		}
	}
	if n := r.Name(containerdID); n != "checkout" {
		t.Errorf("containerd's answer behind a broken Docker file: %q", n)
	}
}

// Ids that are not 64 lowercase hex digits never reach the file system.
func TestInvalidIDs(t *testing.T) {
	root := t.TempDir()
	place(t, root, "var/lib/docker/containers/../../../etc/config.v2.json", []byte(`{"ID":"../../../etc","Name":"/escaped"}`))
	r := New(root, nil)
	for _, id := range []string{"", "../../../etc", strings.Repeat("A", 64), strings.Repeat("a", 63), strings.Repeat("a", 65)} {
		if m, ok := r.Lookup(id); ok {
			t.Errorf("Lookup(%q) = %+v", id, m)
		}
	}
	if len(r.cache) != 0 {
		t.Errorf("invalid ids were cached: %d", len(r.cache))
	}
}

// A miss is retried after the miss TTL (a container that just appeared),
// a hit after the hit TTL (a docker rename), and the cache stays bounded.
func TestCacheRefreshAndBound(t *testing.T) {
	root := t.TempDir()
	now := time.Unix(1e9, 0)
	r := New(root, nil)
	r.now = func() time.Time { return now }
	path := "var/lib/docker/containers/" + dockerID + "/config.v2.json"
	if r.Name(dockerID) != "" {
		t.Fatal("found before the file exists")
	}
	place(t, root, path, []byte(`{"ID":"`+dockerID+`","Name":"/first"}`))
	if n := r.Name(dockerID); n != "" {
		t.Errorf("miss not cached: %q", n)
	}
	now = now.Add(DefaultMissTTL)
	if n := r.Name(dockerID); n != "first" {
		t.Errorf("after the miss TTL: %q, want first", n)
	}
	place(t, root, path, []byte(`{"ID":"`+dockerID+`","Name":"/renamed"}`))
	if n := r.Name(dockerID); n != "first" {
		t.Errorf("hit not cached: %q", n)
	}
	now = now.Add(DefaultHitTTL)
	if n := r.Name(dockerID); n != "renamed" {
		t.Errorf("after the hit TTL: %q, want renamed", n)
	}

	r.max = 8
	for i := range 100 {
		r.Lookup(strings.Repeat(string("0123456789abcdef"[i%16]), 62) + string("0123456789abcdef"[i/16]) + "0")
	}
	if len(r.cache) > r.max {
		t.Errorf("cache holds %d entries, bound %d", len(r.cache), r.max)
	}
}

func TestRootFromEnv(t *testing.T) {
	t.Setenv("HOST_ROOT", "")
	if got := RootFromEnv(); got != "/" {
		t.Errorf("without HOST_ROOT: %q", got)
	}
	t.Setenv("HOST_ROOT", "/rootfs")
	if got := RootFromEnv(); got != "/rootfs" {
		t.Errorf("HOST_ROOT=/rootfs: %q", got)
	}
}
