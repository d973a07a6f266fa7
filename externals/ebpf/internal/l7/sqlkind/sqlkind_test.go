package sqlkind

import "testing"

func TestKind(t *testing.T) {
	for q, want := range map[string]string{
		"SELECT 1":                         "SELECT",
		"  select * from t":                "SELECT",
		"-- c\n/* x */ (SELECT 1) UNION 2": "SELECT",
		"insert into t values ('secret')":  "INSERT",
		"SELEC 1":                          Other,
		"":                                 Other,
		"/* unterminated":                  Other,
		"begin;":                           "BEGIN",
		"verylongwordindeed":               Other,
		"with x as (select 1) select *":    "WITH",
	} {
		if got := Kind([]byte(q)); got != want {
			t.Errorf("Kind(%q) = %q, want %q", q, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { Kind([]byte("SELECT 1")) }); n != 0 {
		t.Errorf("%v allocs", n)
	}
}

func FuzzKind(f *testing.F) {
	f.Add([]byte("/* a */ select 1"))
	f.Fuzz(func(t *testing.T, q []byte) {
		if k := Kind(q); k != Other && keywords[k] != k {
			t.Fatalf("Kind(%q) = %q", q, k)
		}
	})
}
