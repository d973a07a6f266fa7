package httpparse

import (
	"bufio"
	"bytes"
	"net/http"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/l7/internal/recorded"
)

var inputs = [][]byte{
	[]byte(recorded.IndexQueryRequest),
	[]byte(recorded.PostRequest),
	[]byte("GET /api/v1/users/12345/orders?limit=10 HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: Mozilla/5.0\r\nAccept: application/json\r\nAuthorization: Bearer xyz\r\nCookie: a=b; c=d\r\n\r\n"),
}

func TestZeroAllocs(t *testing.T) {
	var r Request
	var s Response
	resp := []byte(recorded.BigResponseHead)
	for _, in := range inputs {
		if n := testing.AllocsPerRun(100, func() { ParseRequest(in, &r) }); n != 0 {
			t.Errorf("ParseRequest allocates %v times on %q", n, in)
		}
	}
	if n := testing.AllocsPerRun(100, func() { ParseResponse(resp, &s) }); n != 0 {
		t.Errorf("ParseResponse allocates %v times", n)
	}
}

// BenchmarkParseRequest reports our parser against two baselines over the
// same inputs in the same run: net/http.ReadRequest (the goal is at
// least 10x faster) and a bare bytes.Index for the end of the head (a floor
// no head parser can beat by much).
func BenchmarkParseRequest(b *testing.B) {
	var r Request
	crlf2 := []byte("\r\n\r\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(inputs[2])))
	ours := perOp(b, func(i int) {
		if ParseRequest(inputs[i%len(inputs)], &r) != Complete {
			b.Fatal("not complete")
		}
	})
	b.StopTimer()
	netHTTP := perOp(b, func(i int) {
		if _, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(inputs[i%len(inputs)]))); err != nil {
			b.Fatal(err)
		}
	})
	index := perOp(b, func(i int) { bytes.Index(inputs[i%len(inputs)], crlf2) })
	b.ReportMetric(netHTTP/ours, "x_faster_than_net/http")
	b.ReportMetric(ours/index, "x_bytes.Index")
}

func BenchmarkParseResponse(b *testing.B) {
	in := []byte(recorded.BigResponseHead)
	crlf2 := []byte("\r\n\r\n")
	var r Response
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	ours := perOp(b, func(int) { ParseResponse(in, &r) })
	b.StopTimer()
	index := perOp(b, func(int) { bytes.Index(in, crlf2) })
	b.ReportMetric(ours/index, "x_bytes.Index")
}

// perOp runs f b.N times and returns the mean ns per call. Baselines are
// timed this way, inside the same benchmark, so every ratio compares runs
// on the same machine state (testing.Benchmark cannot nest).
func perOp(b *testing.B, f func(i int)) float64 {
	start := time.Now()
	for i := 0; i < b.N; i++ {
		f(i)
	}
	return float64(time.Since(start).Nanoseconds()) / float64(b.N)
}
