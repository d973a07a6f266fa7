// Package didyoumean suggests the known name closest to a mistyped one, for
// error messages (config keys, filter fields and functions).
package didyoumean

import "fmt"

// Hint returns " (did you mean X?)" for the candidate closest to name, if
// it is within two edits, else "".
func Hint(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, cand := range candidates {
		if d := Distance(name, cand); d < bestDist {
			best, bestDist = cand, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// Distance is the Levenshtein distance, on bytes (identifiers are ASCII).
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
