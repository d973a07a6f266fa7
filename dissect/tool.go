package dissect

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

const toolUsage = `usage: datakit tool dissect [-c COUNT] FILE.pcap

Prints the one-line summary of each packet of a pcap or pcapng file
(Ethernet, Linux cooked (tcpdump -i any) or raw IP links), e.g.
  10.0.0.1:40000 -> 10.0.0.2:80 tcp SYN
  10.0.0.1 -> 10.0.0.2 EchoRequest
A frame that does not decode prints "#N: cannot decode: ..." in its place.
`

// RunTool implements `datakit tool dissect`: args are the arguments after
// `dissect`. It returns the exit code: 0, 1 on a file error, 2 on misuse.
func RunTool(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dissect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, toolUsage) }
	count := fs.Int("c", 0, "stop after COUNT packets (0: all)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 || *count < 0 {
		fs.Usage()
		return 2
	}
	name := fs.Arg(0)
	out := bufio.NewWriter(stdout)
	err := dissectFile(name, *count, out)
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(stderr, "dissect: %v\n", err)
		return 1
	}
	return 0
}

// source is what both pcap readers give.
type source interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

func dissectFile(name string, count int, out io.Writer) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	magic, _ := r.Peek(4)
	var src source
	var link layers.LinkType
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		ng, err := pcapgo.NewNgReader(r, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return fmt.Errorf("%s: not a pcapng file: %w", name, err)
		}
		src, link = ng, ng.LinkType()
	} else {
		pr, err := pcapgo.NewReader(r)
		if err != nil {
			return fmt.Errorf("%s: not a pcap or pcapng file: %w", name, err)
		}
		src, link = pr, pr.LinkType()
	}
	dec, err := decoderFor(link)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var p Packet
	var line []byte
	for n := 1; count == 0 || n <= count; n++ {
		data, _, err := src.ZeroCopyReadPacketData()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: packet %d: %w", name, n, err)
		}
		line = line[:0]
		if err := dec(data, &p); err != nil {
			line = fmt.Appendf(line, "#%d: cannot decode: %v", n, err)
		} else {
			line = AppendSummary(line, &p)
		}
		line = append(line, '\n')
		if _, err := out.Write(line); err != nil {
			return err
		}
	}
	return nil
}

// decoderFor returns the decode function of a capture file's link type.
func decoderFor(link layers.LinkType) (func([]byte, *Packet) error, error) {
	switch link {
	case layers.LinkTypeEthernet:
		return NewDecoder(layers.LayerTypeEthernet).Decode, nil
	case layers.LinkTypeLinuxSLL:
		return NewDecoder(layers.LayerTypeLinuxSLL).Decode, nil
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12, 14:
		v4, v6 := NewDecoder(layers.LayerTypeIPv4), NewDecoder(layers.LayerTypeIPv6)
		return func(b []byte, p *Packet) error {
			if len(b) > 0 && b[0]>>4 == 6 {
				return v6.Decode(b, p)
			}
			return v4.Decode(b, p)
		}, nil
	}
	return nil, fmt.Errorf("link type %v is not supported (Ethernet, Linux cooked and raw IP are)", link)
}
