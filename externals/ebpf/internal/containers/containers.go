// Package containers names containers: container id → name, and the
// Kubernetes pod, namespace and container name where the runtime records
// them. It reads the runtimes' own state files on the host (through
// HOST_ROOT when the collector runs in a container) instead of calling
// their APIs: no sockets, no network, no client libraries, and it works
// for every runtime that leaves its state on disk:
//
//   - Docker: /var/lib/docker/containers/<id>/config.v2.json (Name,
//     Config.Image, Config.Labels with the io.kubernetes.* labels that
//     dockershim and cri-dockerd set);
//   - containerd: /run/containerd/io.containerd.runtime.v2.task/<ns>/<id>/config.json
//     (and the v1 runtime's directory), the OCI spec whose annotations
//     carry io.kubernetes.cri.* (CRI plugin) or nerdctl/name;
//   - CRI-O and podman: /run/containers/storage/overlay-containers/<id>/userdata/config.json
//     (or under /var/lib/containers/storage), the OCI spec with
//     io.kubernetes.cri-o.* and io.kubernetes.{pod,container}.*
//     annotations; podman's name comes from containers/storage's
//     overlay-containers/containers.json.
//
// Files are outside input: each is read through a size cap and decoded
// with encoding/json into the few fields used. Answers are cached (bounded,
// refreshed lazily; misses are remembered briefly, a container's files are
// written before its first process runs, so a miss is rarely retried).
package containers

import (
	"errors"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Meta is what a runtime records about one container.
type Meta struct {
	ID      string
	Runtime string // docker, containerd, cri-o, podman
	// Name is the name users select by: the Kubernetes container name when
	// the container belongs to a pod, else the runtime's own name (docker
	// and podman names without the leading '/', nerdctl's name, CRI-O's
	// k8s_... name of a sandbox). Empty when the runtime records none.
	Name  string
	Image string

	// Kubernetes, when the runtime records them (empty otherwise).
	PodName, PodNamespace, PodUID, KubeContainer string
}

// Cache sizes and lifetimes.
const (
	DefaultMax     = 4096
	DefaultHitTTL  = 5 * time.Minute // a docker rename shows within this
	DefaultMissTTL = 5 * time.Second
)

// Resolver answers container ids from the runtimes' files under Root.
type Resolver struct {
	root            string
	log             *slog.Logger // nil: broken files are not logged
	max             int
	hitTTL, missTTL time.Duration
	now             func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	meta  Meta
	found bool
	until time.Time
}

// New returns a resolver reading the runtimes' state under root ("/" on
// the host, the host's root when in a container). Broken files (garbage,
// oversized) are logged to log, if not nil, once per cache period.
func New(root string, log *slog.Logger) *Resolver {
	return &Resolver{root: root, log: log, max: DefaultMax, hitTTL: DefaultHitTTL, missTTL: DefaultMissTTL,
		now: time.Now, cache: map[string]cached{}}
}

// RootFromEnv is the host's root filesystem as the collector sees it:
// HOST_ROOT when set (DataKit's DaemonSet mounts the host's / at /rootfs),
// else "/" (the same rule as the collector's other host lookups).
func RootFromEnv() string {
	if p := os.Getenv("HOST_ROOT"); p != "" {
		return p
	}
	return "/"
}

// Lookup returns the container's metadata; false when no runtime's files
// know the id (or it is not a container id: 64 lowercase hex digits).
func (r *Resolver) Lookup(id string) (Meta, bool) {
	if !validID(id) {
		return Meta{}, false
	}
	now := r.now()
	r.mu.Lock()
	c, ok := r.cache[id]
	r.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.meta, c.found
	}
	meta, found, err := r.read(id) // no lock held over file I/O
	ttl := r.missTTL
	if found || err != nil { // a broken file is not retried every few seconds
		ttl = r.hitTTL
	}
	if err != nil && r.log != nil {
		r.log.Warn("containers: cannot read a runtime's state", "id", id, "err", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.cache[id]; !ok && len(r.cache) >= r.max {
		r.evictLocked(now)
	}
	r.cache[id] = cached{meta: meta, found: found, until: now.Add(ttl)}
	return meta, found
}

// Name is the container's name, or "" when unknown.
func (r *Resolver) Name(id string) string {
	m, _ := r.Lookup(id)
	return m.Name
}

// evictLocked makes room: expired entries first, else an arbitrary one
// (map order), which at worst costs one more read of its files.
func (r *Resolver) evictLocked(now time.Time) {
	for id, c := range r.cache {
		if !now.Before(c.until) {
			delete(r.cache, id)
		}
	}
	for id := range r.cache {
		if len(r.cache) < r.max {
			break
		}
		delete(r.cache, id)
	}
}

// sources are the runtimes' readers, asked in turn; an error that is not
// os.ErrNotExist means the runtime's file is there but broken.
var sources = []func(root, id string) (Meta, bool, error){fromDocker, fromContainerd, fromStorage}

// read asks each runtime; the first that knows the id wins. A broken file
// of one runtime does not hide another's answer.
func (r *Resolver) read(id string) (Meta, bool, error) {
	var errs []error
	for _, src := range sources {
		m, ok, err := src(r.root, id)
		if ok {
			m.ID = id
			return m, true, nil
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return Meta{}, false, errors.Join(errs...)
}

func validID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
