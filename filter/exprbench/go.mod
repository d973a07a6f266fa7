// A separate module so that expr-lang/expr, used only to compare speed,
// stays out of the agent's go.mod. Run: cd filter/exprbench && go test -bench .
module netobs.local/agent/filter/exprbench

go 1.26.8

require netobs.local/agent v0.0.0

require github.com/expr-lang/expr v1.17.8

replace netobs.local/agent => ../..
