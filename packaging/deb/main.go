// Command deb builds datakit's Debian package with nfpm
// (github.com/goreleaser/nfpm/v2) used as a library: `make package` runs it
// with the binaries `make build` produced.
//
//	go run . -root ../.. -bin ../../bin -version v1.2.3 -out ../../bin
//
// The package installs the seed's layout (packaging/README.md):
//
//	/usr/local/datakit/datakit, /usr/local/datakit/externals/datakit-ebpf
//	/usr/local/datakit/conf.d/{datakit,ebpf}.conf   conffiles, kept on upgrade
//	/usr/local/datakit/conf.d/samples/*.sample      every option, documented
//	/lib/systemd/system/datakit.service             the unit
//
// and its maintainer scripts (scripts/) create the config and data folders
// and enable, start and stop the unit where systemd runs.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
)

const prefix = "/usr/local/datakit"

func main() {
	root := flag.String("root", "../..", "repository root")
	bin := flag.String("bin", "", "folder with datakit and datakit-ebpf (default ROOT/bin)")
	version := flag.String("version", "dev", "version, as `git describe` prints it")
	arch := flag.String("arch", runtime.GOARCH, "GOARCH of the binaries")
	out := flag.String("out", "", "output folder (default the bin folder)")
	flag.Parse()
	if *bin == "" {
		*bin = filepath.Join(*root, "bin")
	}
	if *out == "" {
		*out = *bin
	}
	path, err := build(*root, *bin, *out, *version, *arch)
	if err != nil {
		fmt.Fprintln(os.Stderr, "package:", err)
		os.Exit(1)
	}
	fmt.Println(path)
}

func build(root, bin, out, version, arch string) (string, error) {
	info := nfpm.WithDefaults(&nfpm.Info{
		Name:          "datakit",
		Arch:          arch,
		Version:       debVersion(version),
		VersionSchema: "none",
		Section:       "net",
		Priority:      "optional",
		Maintainer:    "datakit developers <datakit@netobs.local>",
		Description: "host network observability agent (eBPF)\n" +
			"datakit supervises the datakit-ebpf collector, which observes TCP/UDP\n" +
			"flows, DNS and L7 requests with eBPF, and posts them to its outputs.",
		License: "MIT",
		// Files keep the commit's time, so two builds of one commit are equal.
		MTime: commitTime(),
		Overridables: nfpm.Overridables{
			// The unit's ExecReload= runs /bin/kill.
			Depends:  []string{"procps"},
			Contents: contents(root, bin),
			Scripts: nfpm.Scripts{
				PostInstall: filepath.Join(root, "packaging/deb/scripts/postinst"),
				PreRemove:   filepath.Join(root, "packaging/deb/scripts/prerm"),
				PostRemove:  filepath.Join(root, "packaging/deb/scripts/postrm"),
			},
		},
	})
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(out, deb.Default.ConventionalFileName(info))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := deb.Default.Package(info, f); err != nil {
		f.Close()
		os.Remove(path)
		return "", err
	}
	return path, f.Close()
}

func contents(root, bin string) files.Contents {
	file := func(src, dst string, mode os.FileMode, typ string) *files.Content {
		return &files.Content{Source: src, Destination: dst, Type: typ,
			FileInfo: &files.ContentFileInfo{Mode: mode, Owner: "root", Group: "root"}}
	}
	samples, _ := filepath.Glob(filepath.Join(root, "conf.d/samples/*.sample"))
	c := files.Contents{
		file(filepath.Join(bin, "datakit"), prefix+"/datakit", 0o755, ""),
		file(filepath.Join(bin, "datakit-ebpf"), prefix+"/externals/datakit-ebpf", 0o755, ""),
		file(filepath.Join(root, "packaging/systemd/datakit.service"), "/lib/systemd/system/datakit.service", 0o644, ""),
		// The default configuration: the samples as they stand (API on
		// loopback, data under /usr/local/datakit/data, ebpf-net on). A
		// local edit survives upgrades (noreplace conffiles).
		file(filepath.Join(root, "conf.d/samples/datakit.conf.sample"), prefix+"/conf.d/datakit.conf", 0o640, files.TypeConfigNoReplace),
		file(filepath.Join(root, "conf.d/samples/ebpf.conf.sample"), prefix+"/conf.d/ebpf.conf", 0o640, files.TypeConfigNoReplace),
	}
	for _, s := range samples {
		c = append(c, file(s, prefix+"/conf.d/samples/"+filepath.Base(s), 0o644, ""))
	}
	return c
}

// debVersion turns `git describe` output into a Debian version: v1.2.3-4-gabc
// becomes 1.2.3+4.gabc, and a bare hash (no tag yet) 0.0.0+git<hash>, so
// that later builds sort after earlier ones.
func debVersion(v string) string {
	if m := regexp.MustCompile(`^v?(\d+(?:\.\d+)*)(?:-(\d+)-(g[0-9a-f]+))?(-dirty)?$`).FindStringSubmatch(v); m != nil {
		s := m[1]
		if m[2] != "" {
			s += "+" + m[2] + "." + m[3]
		}
		if m[4] != "" {
			s += "+dirty"
		}
		return s
	}
	clean := regexp.MustCompile(`[^0-9A-Za-z.+~]`).ReplaceAllString(v, ".")
	return "0.0.0+git" + clean
}

func commitTime() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		var sec int64
		if _, err := fmt.Sscan(s, &sec); err == nil {
			return time.Unix(sec, 0).UTC()
		}
	}
	return time.Now().UTC().Truncate(time.Second)
}
