package point

import (
	"slices"
	"strings"
)

// Duplicate keys: the last occurrence wins, for tags and for fields alike
// (as InfluxDB does for fields). Sorting is stable, so among equal keys the
// input order survives and keeping the last of each run is "last wins".

func normalizeTags(ts []Tag) []Tag       { return normalize(ts, tagKey) }
func normalizeFields(fs []Field) []Field { return normalize(fs, fieldKey) }

func tagKey(t *Tag) string         { return t.Key }
func fieldKey(f *Field) string     { return f.Key }
func lpFieldKey(f *lpField) string { return f.Key }

// normalize sorts s by key and keeps the last of each run of equal keys.
func normalize[T any](s []T, key func(*T) string) []T {
	if sortedUnique(s, key) {
		return s // most points arrive so
	}
	slices.SortStableFunc(s, func(a, b T) int { return strings.Compare(key(&a), key(&b)) })
	return lastWins(s, key)
}

// sortedUnique reports whether the keys of s strictly increase.
func sortedUnique[T any](s []T, key func(*T) string) bool {
	for i := 1; i < len(s); i++ {
		if key(&s[i-1]) >= key(&s[i]) {
			return false
		}
	}
	return true
}

// lastWins drops all but the last of each run of equal keys in sorted s.
func lastWins[T any](s []T, key func(*T) string) []T {
	out := s[:0]
	for i := range s {
		if i+1 < len(s) && key(&s[i]) == key(&s[i+1]) {
			continue
		}
		out = append(out, s[i])
	}
	return out
}

// dupKey sorts s as normalize does and returns a key written twice.
func dupKey[T any](s []T, key func(*T) string) (string, bool) {
	slices.SortStableFunc(s, func(a, b T) int { return strings.Compare(key(&a), key(&b)) })
	for i := 1; i < len(s); i++ {
		if k := key(&s[i]); k == key(&s[i-1]) {
			return k, true
		}
	}
	return "", false
}
