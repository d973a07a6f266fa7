package measure

// Bash is the ebpf-bash plugin's log of lines read by interactive bash
// shells (a uretprobe on readline).
var Bash = Register(Measurement{
	Name:     "bash",
	Category: "logging",
	Plugin:   "ebpf-bash",
	Desc: "One log point per line an interactive bash shell read (the return value of " +
		"readline), from every bash binary in use on the host, other mount namespaces " +
		"and containers included. Empty lines are not reported.",
	Tags: []Tag{
		{"host", "System hostname"},
	},
	Fields: []Field{
		{"cmd", String, "-", "The command line, as typed"},
		{"message", String, "-", "The bash execution record: time, user, pid and command"},
		{"pid", String, "-", "Process id of the bash shell"},
		{"user", String, "-", "User name of the shell's uid (the passwd of the shell's root, else the host's; the uid when neither names it)"},
	},
})
