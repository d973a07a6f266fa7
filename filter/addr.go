package filter

import (
	"net/netip"
	"strings"
)

// The parsers here accept exactly what netip.ParseAddr and netip.ParsePrefix
// accept (FuzzAddrParsers checks that), but report failure with a bool: the
// error values of netip allocate, and Match must not allocate even when a
// record holds a malformed address.

// parseAddr parses an IPv4 or IPv6 address without a zone.
func parseAddr(s string) (netip.Addr, bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '.':
			var b [4]byte
			if !parseIPv4Fields(s, b[:]) {
				return netip.Addr{}, false
			}
			return netip.AddrFrom4(b), true
		case ':':
			return parseIPv6(s)
		}
	}
	return netip.Addr{}, false
}

// parsePrefix parses a CIDR such as "10.0.0.0/8" or "fd00::/8".
func parsePrefix(s string) (netip.Prefix, bool) {
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return netip.Prefix{}, false
	}
	addr, ok := parseAddr(s[:i])
	if !ok {
		return netip.Prefix{}, false
	}
	digits := s[i+1:]
	if digits == "" || len(digits) > 1 && digits[0] == '0' || len(digits) > 3 {
		return netip.Prefix{}, false
	}
	bits := 0
	for j := 0; j < len(digits); j++ {
		if !isDigit(digits[j]) {
			return netip.Prefix{}, false
		}
		bits = bits*10 + int(digits[j]-'0')
	}
	if bits > addr.BitLen() {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(addr, bits), true
}

// parseIPv4Fields parses dotted decimal into fields, rejecting leading zeros.
func parseIPv4Fields(s string, fields []byte) bool {
	val, pos, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			if digits == 1 && val == 0 {
				return false
			}
			val = val*10 + int(c-'0')
			digits++
			if val > 255 {
				return false
			}
		case c == '.':
			if i == 0 || i == len(s)-1 || s[i-1] == '.' || pos == 3 {
				return false
			}
			fields[pos] = byte(val)
			pos++
			val, digits = 0, 0
		default:
			return false
		}
	}
	if pos < 3 {
		return false
	}
	fields[3] = byte(val)
	return true
}

// parseIPv6 follows netip's parser: hex groups, one "::", and an optional
// embedded IPv4 address in the last 32 bits.
func parseIPv6(s string) (netip.Addr, bool) {
	var ip [16]byte
	ellipsis := -1 // where "::" is, in bytes of ip
	if strings.HasPrefix(s, "::") {
		ellipsis = 0
		s = s[2:]
		if s == "" {
			return netip.IPv6Unspecified(), true
		}
	}
	i := 0
	for i < 16 {
		off, acc := 0, uint32(0)
		for ; off < len(s); off++ {
			d, ok := hexValue(s[off])
			if !ok {
				break
			}
			acc = acc<<4 + d
			if off > 3 || acc > 0xffff {
				return netip.Addr{}, false
			}
		}
		if off == 0 {
			return netip.Addr{}, false
		}
		if off < len(s) && s[off] == '.' {
			if ellipsis < 0 && i != 12 || i+4 > 16 || !parseIPv4Fields(s, ip[i:i+4]) {
				return netip.Addr{}, false
			}
			s = ""
			i += 4
			break
		}
		ip[i], ip[i+1] = byte(acc>>8), byte(acc)
		i += 2
		s = s[off:]
		if s == "" {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return netip.Addr{}, false
		}
		s = s[1:]
		if s[0] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, false
			}
			ellipsis = i
			s = s[1:]
			if s == "" {
				break
			}
		}
	}
	if s != "" {
		return netip.Addr{}, false
	}
	if i < 16 {
		if ellipsis < 0 {
			return netip.Addr{}, false
		}
		n := 16 - i
		copy(ip[ellipsis+n:], ip[ellipsis:i])
		clear(ip[ellipsis : ellipsis+n])
	} else if ellipsis >= 0 {
		return netip.Addr{}, false // "::" must stand for at least one group
	}
	return netip.AddrFrom16(ip), true
}

func hexValue(c byte) (uint32, bool) {
	switch {
	case isDigit(c):
		return uint32(c - '0'), true
	case c >= 'a' && c <= 'f':
		return uint32(c - 'a' + 10), true
	case c >= 'A' && c <= 'F':
		return uint32(c - 'A' + 10), true
	}
	return 0, false
}
