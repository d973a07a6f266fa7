package filter

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const toolUsage = `usage: datakit tool filter (--rules RULES | --rules-file FILE) (--record JSON | --check)

Compiles a netlog blacklist rule set and evaluates it on one record.
Prints "drop N (...)" when rule N (counting from 0) matches the record, and
"keep" otherwise. With --check it only compiles the rules and prints "ok".
Exit status: 0 on success, 1 when the rules do not compile or the record is
invalid, 2 on a usage error.

`

// RunTool implements `datakit tool filter`; args are those after "filter".
// It returns the process exit status.
func RunTool(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("datakit tool filter", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, toolUsage)
		fs.PrintDefaults()
	}
	rules := fs.String("rules", "", "the rule set, as in netlog_blacklist")
	rulesFile := fs.String("rules-file", "", "read the rule set from this file")
	record := fs.String("record", "", `a netlog record as a JSON object, e.g. {"tcp":true,"dst_port":80,"ip_saddr":"10.0.0.1"}`)
	check := fs.Bool("check", false, "only compile the rules")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	usageError := func(msg string) int {
		fmt.Fprintf(stderr, "datakit tool filter: %s\n", msg)
		fs.Usage()
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usageError(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	case set["rules"] == set["rules-file"]:
		return usageError("give exactly one of --rules and --rules-file")
	case *check == set["record"]:
		return usageError("give exactly one of --record and --check")
	}

	src, name := *rules, "rules"
	if set["rules-file"] {
		data, err := os.ReadFile(*rulesFile)
		if err != nil {
			fmt.Fprintf(stderr, "datakit tool filter: %v\n", err)
			return 1
		}
		src, name = string(data), *rulesFile
	}
	compiled, err := Compile(src, Netlog)
	if err != nil {
		for _, e := range errorsOf(err) {
			fmt.Fprintf(stderr, "%s:%s\n", name, e.Error())
		}
		return 1
	}
	if *check {
		fmt.Fprintf(stdout, "ok: %d rules\n", compiled.Len())
		return 0
	}
	rec, err := ParseRecord(Netlog, []byte(*record))
	if err != nil {
		fmt.Fprintf(stderr, "datakit tool filter: --record: %v\n", err)
		return 1
	}
	if i, dropped := compiled.Match(rec); dropped {
		info := compiled.Rule(i)
		fmt.Fprintf(stdout, "drop %d (rule at %s:%d:%d: %s)\n", i, name, info.Line, info.Col, info.Text)
	} else {
		fmt.Fprintln(stdout, "keep")
	}
	return 0
}

// errorsOf lists the compile errors in err.
func errorsOf(err error) []*Error {
	var list ErrorList
	if errors.As(err, &list) {
		return list
	}
	var one *Error
	if errors.As(err, &one) {
		return []*Error{one}
	}
	return nil
}
