package deliver

import (
	"fmt"
	"net"
)

// splitHostPort reads --datakit-apiserver; 0.0.0.0 and :: (the
// supervisor's listen-everywhere address) mean "post to this host".
func splitHostPort(hp string) (string, string, error) {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return "", "", err
	}
	if port == "" {
		return "", "", fmt.Errorf("no port")
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "[::1]"
	default:
		if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
			host = "[" + host + "]"
		}
	}
	return host, port, nil
}
