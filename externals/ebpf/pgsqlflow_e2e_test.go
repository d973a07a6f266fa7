package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/l7/sqlkind"
	"netobs.local/agent/tests/testenv"
)

const pgBin = "/usr/lib/postgresql/15/bin/"

// postgres is a PostgreSQL 15 cluster made by initdb in a temporary
// directory and run as the postgres user on a loopback port, logging
// every statement with its SQLSTATE (the test's truth).
type postgres struct {
	port    int
	pid     string
	log     string
	logFrom int64
}

func startPostgres(t *testing.T) *postgres {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.RequireBinaries(t, pgBin+"initdb", pgBin+"postgres", pgBin+"psql", pgBin+"pgbench")
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Skipf("no postgres user: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cred := &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	dir, err := os.MkdirTemp("", "pgsqlflow")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chown(dir, uid, gid)
	data := filepath.Join(dir, "data")
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("SECRETPASSWORD\n"), 0o600)
	os.Chown(pw, uid, gid)
	initdb := exec.Command(pgBin+"initdb", "-D", data, "-U", "postgres", "-A", "scram-sha-256", "--pwfile", pw, "--no-sync")
	initdb.SysProcAttr = cred
	if b, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, b)
	}
	p := &postgres{port: testenv.FreePort(t), log: filepath.Join(dir, "log")}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	cmd := exec.Command(pgBin+"postgres", "-D", data, "-p", strconv.Itoa(p.port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "log_statement=all", "-c", "log_error_verbosity=verbose",
		"-c", "fsync=off", "-c", "logging_collector=off", "-c", "log_line_prefix=")
	cmd.SysProcAttr, cmd.Stdout, cmd.Stderr = cred, logf, logf
	proc := testenv.StartCmd(t, cmd)
	p.pid = strconv.Itoa(proc.Pid())
	testenv.WaitPort(t, fmt.Sprintf("127.0.0.1:%d", p.port), 20*time.Second)
	return p
}

func (p *postgres) env() []string {
	return append(os.Environ(), "PGPASSWORD=SECRETPASSWORD", "PGHOST=127.0.0.1", "PGPORT="+strconv.Itoa(p.port), "PGUSER=postgres", "PGDATABASE=postgres")
}

// psql runs one statement in one psql process; fail: it must fail.
func (p *postgres) psql(t *testing.T, sql string, fail bool) {
	t.Helper()
	cmd := exec.Command(pgBin+"psql", "-X", "-q", "-c", sql)
	cmd.Env = p.env()
	b, err := cmd.CombinedOutput()
	if (err != nil) != fail {
		t.Fatalf("psql %q: %v\n%s", sql, err, b)
	}
}

func (p *postgres) pgbench(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(pgBin+"pgbench", args...)
	cmd.Env = p.env()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pgbench %v: %v\n%s", args, err, b)
	}
}

var (
	logStmt = regexp.MustCompile(`^LOG:  00000: (?:statement|execute [^:]*): (.*)$`)
	logErr  = regexp.MustCompile(`^ERROR:  ([0-9A-Z]{5}): `)
)

// truth reads the server's log from logFrom: the requests per
// "KIND SQLSTATE", as pgsqlflow groups them. A statement is logged before
// it runs, its error after; a syntax error is logged without its
// statement (log_statement logs only what parses), as OTHER.
func (p *postgres) truth(t *testing.T) map[string]int64 {
	t.Helper()
	f, err := os.Open(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Seek(p.logFrom, 0)
	got := map[string]int64{}
	last := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := logStmt.FindStringSubmatch(line); m != nil {
			last = sqlkind.Kind([]byte(m[1]))
			got[last+" "]++
		} else if m := logErr.FindStringSubmatch(line); m != nil {
			if m[1] == "42601" {
				got["OTHER 42601"]++
				continue
			}
			got[last+" "]--
			got[last+" "+m[1]]++
		}
	}
	for k, n := range got {
		if n == 0 {
			delete(got, k)
		}
	}
	return got
}

// TestPgsqlFlow drives PostgreSQL 15 with psql (simple protocol; a unique
// violation and a syntax error) and pgbench in the simple and the
// extended protocol; both sides' pgsqlflow counts per statement kind and
// SQLSTATE equal the server's own statement log, and no point carries the
// password or a value.
func TestPgsqlFlow(t *testing.T) {
	p := startPostgres(t)
	p.pgbench(t, "-i", "-q", "-s", "1") // before the collector: COPY and DDL
	out, stop := collector(t, "--l7net-enabled", "pgsql", "--l7-capture-bytes", "4096")
	if st, err := os.Stat(p.log); err == nil {
		p.logFrom = st.Size()
	}
	p.psql(t, "CREATE TABLE u (id int PRIMARY KEY, v text)", false)
	p.psql(t, "INSERT INTO u VALUES (1, 'SECRETVALUE')", false)
	p.psql(t, "INSERT INTO u VALUES (1, 'SECRETVALUE')", true) // 23505
	p.psql(t, "SELEC 1", true)                                 // 42601
	p.psql(t, "SELECT * FROM u", false)
	p.pgbench(t, "-n", "-S", "-t", "50", "-c", "2", "-M", "simple")
	p.pgbench(t, "-n", "-S", "-t", "50", "-c", "2", "-M", "extended")
	time.Sleep(500 * time.Millisecond) // the log's last lines
	want := p.truth(t)
	var total int64
	for _, n := range want {
		total += n
	}
	if want["SELECT "] < 200 || want["INSERT 23505"] != 1 || want["OTHER 42601"] != 1 {
		t.Fatalf("the server logged %v", want)
	}
	t.Logf("the server logged %v", want)
	ps := strconv.Itoa(p.port)
	side := func(dir string) int64 {
		c, _ := sum(readPoints(t, out), "pgsqlflow", "count", map[string]string{"server_port": ps, "direction": dir})
		return c
	}
	testenv.Eventually(t, 20*time.Second, "pgsqlflow of both sides", func() bool {
		return side("outgoing") >= total && side("incoming") >= total
	})
	stop()
	pts := readPoints(t, out)
	for _, dir := range []string{"outgoing", "incoming"} {
		got := map[string]int64{}
		for _, pt := range pts {
			if pt.name != "pgsqlflow" || pt.tags["server_port"] != ps || pt.tags["direction"] != dir {
				continue
			}
			if strings.Contains(fmt.Sprint(pt), "SECRET") {
				t.Errorf("point carries a secret: %v", pt)
			}
			k := pt.strs["statement"] + " " + pt.strs["sqlstate"]
			got[k] += pt.fields["count"]
			if (pt.strs["sqlstate"] != "") != (pt.fields["errors"] == pt.fields["count"]) || pt.strs["sqlstate"] == "" && pt.fields["errors"] != 0 {
				t.Errorf("%s %s: errors %d of %d", dir, k, pt.fields["errors"], pt.fields["count"])
			}
			if lat, mx := pt.fields["latency"], pt.fields["latency_max"]; lat <= 0 || mx < lat {
				t.Errorf("%s %s: latency %d max %d", dir, k, lat, mx)
			}
			if dir == "incoming" && pt.tags["process_name"] != "postgres" {
				t.Errorf("incoming %s: process %s", k, pt.tags["process_name"])
			}
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%s %q: count %d, the server logged %d", dir, k, got[k], n)
			}
		}
		for k, n := range got {
			if want[k] == 0 {
				t.Errorf("%s %q: count %d, the server logged none", dir, k, n)
			}
		}
	}
}
