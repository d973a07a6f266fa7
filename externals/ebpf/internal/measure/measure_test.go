package measure

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The committed doc must be what the declarations generate.
func TestCommittedDocMatchesDeclarations(t *testing.T) {
	path := filepath.Join("..", "..", "..", "..", "docs", "measurements", "ebpf.md")
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read committed doc: %v", err)
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, All()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, b.Bytes()) {
		t.Fatalf("%s is stale: run `go generate ./externals/ebpf/internal/measure`", path)
	}
}

// Every tag and field of the seed's netflow table is declared.
func TestNetflowCoversSeed(t *testing.T) {
	tags := strings.Fields(`client_ip client_ip_type client_k8s_deployment_name client_k8s_namespace
		client_k8s_pod_name client_k8s_service_name client_port direction dst_domain dst_ip dst_ip_type
		dst_k8s_deployment_name dst_k8s_namespace dst_k8s_pod_name dst_k8s_service_name dst_nat_ip
		dst_nat_port dst_port family host pid process_name server_domain server_ip server_ip_type
		server_k8s_deployment_name server_k8s_namespace server_k8s_pod_name server_k8s_service_name
		server_port source src_ip src_ip_type src_k8s_deployment_name src_k8s_namespace src_k8s_pod_name
		src_k8s_service_name src_port sub_source transport`)
	for _, tag := range tags {
		if !Netflow.HasTag(tag) {
			t.Errorf("netflow lacks seed tag %s", tag)
		}
	}
	ours := 2 // process_path and process_args (Calico's collectProcessPath)
	if len(Netflow.Tags) != len(tags)+ours {
		t.Errorf("netflow declares %d tags, the seed has %d plus our %d", len(Netflow.Tags), len(tags), ours)
	}
	for _, f := range strings.Fields("bytes_read bytes_written retransmits rtt rtt_var tcp_closed tcp_established") {
		if typ, ok := Netflow.FieldType(f); !ok || typ != Int {
			t.Errorf("netflow field %s: declared %q, want int", f, typ)
		}
	}
}

func TestCheck(t *testing.T) {
	var all []string
	for _, tag := range Netflow.Tags {
		all = append(all, tag.Name)
	}
	if err := Netflow.Check(all, map[string]Type{"rtt": Int}); err != nil {
		t.Fatalf("valid point rejected: %v", err)
	}
	if err := Netflow.Check([]string{"pid", "src_ip"}, nil); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("a point without its declared tags: got %v", err)
	}
	if err := Netflow.Check([]string{"nope"}, nil); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("undeclared tag: got %v", err)
	}
	if err := Netflow.Check(all, map[string]Type{"rtt": Float}); err == nil {
		t.Fatal("wrong field type accepted")
	}
	if err := Netflow.Check(all, map[string]Type{"x": Int}); err == nil {
		t.Fatal("undeclared field accepted")
	}
}
