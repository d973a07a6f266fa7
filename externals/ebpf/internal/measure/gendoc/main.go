// Command gendoc writes the measurement reference (docs/measurements/ebpf.md)
// from the declarations in package measure.
package main

import (
	"bytes"
	"flag"
	"log"
	"os"

	"netobs.local/agent/externals/ebpf/internal/measure"
)

func main() {
	out := flag.String("o", "-", "output file (- for stdout)")
	flag.Parse()
	var b bytes.Buffer
	if err := measure.WriteMarkdown(&b, measure.All()); err != nil {
		log.Fatal(err)
	}
	if *out == "-" {
		os.Stdout.Write(b.Bytes())
		return
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
