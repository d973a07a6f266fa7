package point

import (
	"cmp"
	"slices"
)

// Duplicate keys: the last occurrence wins, for tags and for fields alike
// (as InfluxDB does for fields). Sorting is stable, so among equal keys the
// input order survives and keeping the last of each run is "last wins".

func normalizeTags(ts []Tag) []Tag {
	if !slices.IsSortedFunc(ts, cmpTag) {
		slices.SortStableFunc(ts, cmpTag)
	}
	return lastWins(ts, func(t Tag) string { return t.Key })
}

func normalizeFields(fs []Field) []Field {
	if !slices.IsSortedFunc(fs, cmpField) {
		slices.SortStableFunc(fs, cmpField)
	}
	return lastWins(fs, func(f Field) string { return f.Key })
}

func cmpTag(a, b Tag) int     { return cmp.Compare(a.Key, b.Key) }
func cmpField(a, b Field) int { return cmp.Compare(a.Key, b.Key) }

// lastWins drops all but the last of each run of equal keys in sorted s.
func lastWins[T any](s []T, key func(T) string) []T {
	out := s[:0]
	for i := range s {
		if i+1 < len(s) && key(s[i]) == key(s[i+1]) {
			continue
		}
		out = append(out, s[i])
	}
	return out
}
