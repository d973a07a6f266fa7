// Code generated from strace -xx captures of curl 7.88.1 against nginx 1.22.1
// on loopback (Debian bookworm); the bytes are exactly what crossed the socket.
// DO NOT EDIT by hand: re-record instead (see README.md, "Ground truth").

package recorded

// IndexQuery: GET /index.html?x=1 HTTP/1.1
const IndexQueryRequest = "GET /index.html?x=1 HTTP/1.1\r\n" +
	"Host: 127.0.0.1:18080\r\n" +
	"User-Agent: curl/7.88.1\r\n" +
	"Accept: */*\r\n" +
	"\r\n"

const IndexQueryResponse = "HTTP/1.1 200 OK\r\n" +
	"Server: nginx/1.22.1\r\n" +
	"Date: Sat, 21 Nov 2026 13:56:01 GMT\r\n" +
	"Content-Type: text/html\r\n" +
	"Content-Length: 17\r\n" +
	"Last-Modified: Sat, 21 Nov 2026 13:55:56 GMT\r\n" +
	"Connection: keep-alive\r\n" +
	"ETag: \"6b01a2ec-11\"\r\n" +
	"Accept-Ranges: bytes\r\n" +
	"\r\n" +
	"hello from nginx\n"

// Moved: GET /moved HTTP/1.1
const MovedRequest = "GET /moved HTTP/1.1\r\n" +
	"Host: 127.0.0.1:18080\r\n" +
	"User-Agent: curl/7.88.1\r\n" +
	"Accept: */*\r\n" +
	"\r\n"

const MovedResponse = "HTTP/1.1 301 Moved Permanently\r\n" +
	"Server: nginx/1.22.1\r\n" +
	"Date: Sat, 21 Nov 2026 13:56:01 GMT\r\n" +
	"Content-Type: text/html\r\n" +
	"Content-Length: 169\r\n" +
	"Location: http://127.0.0.1:18080/index.html\r\n" +
	"Connection: keep-alive\r\n" +
	"\r\n" +
	"<html>\r\n" +
	"<head><title>301 Moved Permanently</title></head>\r\n" +
	"<body>\r\n" +
	"<center><h1>301 Moved Permanently</h1></center>\r\n" +
	"<hr><center>nginx/1.22.1</center>\r\n" +
	"</body>\r\n" +
	"</html>\r\n"

// Missing: GET /missing HTTP/1.1
const MissingRequest = "GET /missing HTTP/1.1\r\n" +
	"Host: 127.0.0.1:18080\r\n" +
	"User-Agent: curl/7.88.1\r\n" +
	"Accept: */*\r\n" +
	"\r\n"

const MissingResponse = "HTTP/1.1 404 Not Found\r\n" +
	"Server: nginx/1.22.1\r\n" +
	"Date: Sat, 21 Nov 2026 13:56:01 GMT\r\n" +
	"Content-Type: text/html\r\n" +
	"Content-Length: 153\r\n" +
	"Connection: keep-alive\r\n" +
	"\r\n" +
	"<html>\r\n" +
	"<head><title>404 Not Found</title></head>\r\n" +
	"<body>\r\n" +
	"<center><h1>404 Not Found</h1></center>\r\n" +
	"<hr><center>nginx/1.22.1</center>\r\n" +
	"</body>\r\n" +
	"</html>\r\n"

// Fail: GET /fail HTTP/1.1
const FailRequest = "GET /fail HTTP/1.1\r\n" +
	"Host: 127.0.0.1:18080\r\n" +
	"User-Agent: curl/7.88.1\r\n" +
	"Accept: */*\r\n" +
	"\r\n"

const FailResponse = "HTTP/1.1 500 Internal Server Error\r\n" +
	"Server: nginx/1.22.1\r\n" +
	"Date: Sat, 21 Nov 2026 13:56:01 GMT\r\n" +
	"Content-Type: text/html\r\n" +
	"Content-Length: 177\r\n" +
	"Connection: close\r\n" +
	"\r\n" +
	"<html>\r\n" +
	"<head><title>500 Internal Server Error</title></head>\r\n" +
	"<body>\r\n" +
	"<center><h1>500 Internal Server Error</h1></center>\r\n" +
	"<hr><center>nginx/1.22.1</center>\r\n" +
	"</body>\r\n" +
	"</html>\r\n"

// Post: POST /echo HTTP/1.1
const PostRequest = "POST /echo HTTP/1.1\r\n" +
	"Host: 127.0.0.1:18080\r\n" +
	"User-Agent: curl/7.88.1\r\n" +
	"Accept: */*\r\n" +
	"Content-Length: 14\r\n" +
	"Content-Type: application/x-www-form-urlencoded\r\n" +
	"\r\n" +
	"name=value&a=b"

const PostResponse = "HTTP/1.1 200 OK\r\n" +
	"Server: nginx/1.22.1\r\n" +
	"Date: Sat, 21 Nov 2026 13:56:01 GMT\r\n" +
	"Content-Type: text/plain\r\n" +
	"Content-Length: 3\r\n" +
	"Connection: keep-alive\r\n" +
	"\r\n" +
	"ok\n"

// BigRequest fetches a 1 MiB static file; BigResponseHead is the head nginx
// sent before the 1048576 body bytes (the body itself is random).
const BigRequest = "GET /big.bin HTTP/1.1\r\n" +
	"Host: 127.0.0.1:18080\r\n" +
	"User-Agent: curl/7.88.1\r\n" +
	"Accept: */*\r\n" +
	"\r\n"

const BigResponseHead = "HTTP/1.1 200 OK\r\n" +
	"Server: nginx/1.22.1\r\n" +
	"Date: Sat, 21 Nov 2026 13:56:05 GMT\r\n" +
	"Content-Type: text/plain\r\n" +
	"Content-Length: 1048576\r\n" +
	"Last-Modified: Sat, 21 Nov 2026 13:56:05 GMT\r\n" +
	"Connection: keep-alive\r\n" +
	"ETag: \"6b01a2f5-100000\"\r\n" +
	"Accept-Ranges: bytes\r\n" +
	"\r\n"

// BigBodyLen is the Content-Length of BigResponseHead.
const BigBodyLen = 1048576

// PythonResponse is what python3 -m http.server (Python 3.11.7, an HTTP/1.0
// server) answered to a curl GET /index.html.
const PythonResponse = "HTTP/1.0 200 OK\r\n" +
	"Server: SimpleHTTP/0.6 Python/3.11.7\r\n" +
	"Date: Sat, 21 Nov 2026 13:56:17 GMT\r\n" +
	"Content-type: text/html\r\n" +
	"Content-Length: 17\r\n" +
	"Last-Modified: Sat, 21 Nov 2026 13:55:56 GMT\r\n" +
	"\r\n" +
	"hello from nginx\n"
