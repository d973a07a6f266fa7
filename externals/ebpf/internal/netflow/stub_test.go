package netflow

import "testing"

// plan finds each hook's programs by name ("on_EVENT", and "on_EVENT_btf"
// for a tp_btf twin); a renamed program would silently escape stubbing on
// kernels without its hook, so the names are checked here.
func TestEveryHookHasItsProgramsByName(t *testing.T) {
	spec, err := loadNetflow()
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range Hooks() {
		if _, ok := spec.Programs["on_"+h.Event]; !ok {
			t.Errorf("hook %s/%s: no program on_%s", h.Group, h.Event, h.Event)
		}
		if _, ok := spec.Programs["on_"+h.Event+"_btf"]; ok != (h.btf != nil) {
			t.Errorf("hook %s/%s: tp_btf twin in the object %v, in Hooks %v", h.Group, h.Event, ok, h.btf != nil)
		}
	}
}
