package testenv

import (
	"net"
	"sync/atomic"
)

// CountingConn counts the payload bytes that cross a socket, as the
// application moved them: the truth the collector's byte counts are held
// to. Several connections may share the counters.
type CountingConn struct {
	net.Conn
	In, Out *atomic.Int64
}

// NewCountingConn counts c into counters of its own.
func NewCountingConn(c net.Conn) CountingConn {
	return CountingConn{c, new(atomic.Int64), new(atomic.Int64)}
}

func (c CountingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.In.Add(int64(n))
	return n, err
}

func (c CountingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.Out.Add(int64(n))
	return n, err
}

// CountingListener counts every accepted connection into In and Out.
type CountingListener struct {
	net.Listener
	In, Out *atomic.Int64
}

func (l CountingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return CountingConn{c, l.In, l.Out}, nil
}
