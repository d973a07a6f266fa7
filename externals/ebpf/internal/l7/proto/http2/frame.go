package http2

import "encoding/binary"

// Frame types and flags (RFC 9113 section 6).
const (
	frameData         = 0x0
	frameHeaders      = 0x1
	frameRSTStream    = 0x3
	frameSettings     = 0x4
	framePushPromise  = 0x5
	frameContinuation = 0x9

	flagEndStream  = 0x1
	flagAck        = 0x1
	flagEndHeaders = 0x4
	flagPadded     = 0x8
	flagPriority   = 0x20

	settingHeaderTableSize = 0x1
)

const (
	frameHeaderLen = 9
	// maxSmall bounds the payload kept of the frames read whole
	// (SETTINGS, RST_STREAM); a SETTINGS frame past it keeps its first
	// six entries, which are the ones peers send.
	maxSmall = 36
	// maxPlausible bounds the length of a frame header found at the start
	// of an event after sync was lost (the largest SETTINGS_MAX_FRAME_SIZE
	// servers use is 1 MiB; the default is 16 KiB).
	maxPlausible = 1 << 20
)

// header is one frame's 9-byte header.
type header struct {
	length uint32
	typ    uint8
	flags  uint8
	sid    uint32
}

func parseHeader(b []byte) header {
	return header{
		length: uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]),
		typ:    b[3], flags: b[4],
		sid: binary.BigEndian.Uint32(b[5:9]) & 0x7fffffff,
	}
}

// plausible: b starts with what a frame header of a known type looks like.
func plausible(b []byte) bool {
	if len(b) < frameHeaderLen || b[5]&0x80 != 0 {
		return false
	}
	h := parseHeader(b)
	return h.typ <= frameContinuation && h.length <= maxPlausible
}

// handler receives what the walker finds in one direction.
type handler interface {
	// frame: a frame header was read (bytes accounting).
	frame(h header)
	// block: a fragment of a header block (HEADERS, CONTINUATION), with
	// padding and priority fields already removed.
	block(h header, frag []byte)
	// done: a frame's payload ended; small holds what was kept of it
	// (SETTINGS, RST_STREAM), cut when part of it was not captured.
	done(h header, small []byte, cut bool)
	// lostBlock: bytes of a header block were not captured, so the
	// direction's HPACK state is gone.
	lostBlock()
}

// walker walks one direction's frames across events. It keeps only the
// current frame's position, never a frame's payload (except maxSmall
// bytes of the frames read whole).
type walker struct {
	hdr  [frameHeaderLen]byte
	hn   int // bytes of hdr collected
	in   bool
	cur  header
	pos  uint32 // payload bytes of cur already walked
	pre  uint32 // HEADERS: padding-length and priority bytes before the block
	pad  uint32 // HEADERS: trailing padding
	padN bool   // HEADERS: the pad length is known
	cut  bool   // part of cur's payload was not captured
	// lost: sync was lost (bytes beyond a frame were not captured); the
	// walker waits for an event that starts with a plausible header.
	lost  bool
	small [maxSmall]byte
	sn    int
}

// feed walks captured bytes. start: b begins an event (a resync point).
func (w *walker) feed(b []byte, start bool, h handler) {
	if w.lost {
		if !start || !plausible(b) {
			return
		}
		w.lost, w.hn, w.in = false, 0, false
	}
	for len(b) > 0 {
		if !w.in {
			n := copy(w.hdr[w.hn:], b)
			w.hn += n
			b = b[n:]
			if w.hn < frameHeaderLen {
				return
			}
			w.begin(parseHeader(w.hdr[:]), h)
			continue
		}
		n := min(uint32(len(b)), w.cur.length-w.pos)
		w.payload(b[:n], h)
		b = b[n:]
		if w.pos == w.cur.length {
			w.end(h)
		}
	}
}

// lose skips n bytes the capture did not copy.
func (w *walker) lose(n uint32, h handler) {
	if n == 0 || w.lost {
		return
	}
	if !w.in || n > w.cur.length-w.pos {
		if w.in && isBlock(w.cur.typ) {
			h.lostBlock()
		}
		w.lost = true
		return
	}
	if isBlock(w.cur.typ) && w.pos+n > w.pre && w.pos < w.cur.length-w.pad {
		h.lostBlock()
	}
	w.pos += n
	w.cut = true
	if w.pos == w.cur.length {
		w.end(h)
	}
}

func isBlock(t uint8) bool { return t == frameHeaders || t == frameContinuation }

func (w *walker) begin(hd header, h handler) {
	w.hn, w.in, w.cur, w.pos, w.cut, w.sn = 0, true, hd, 0, false, 0
	w.pre, w.pad, w.padN = 0, 0, true
	if hd.typ == frameHeaders {
		if hd.flags&flagPadded != 0 {
			w.pre, w.padN = 1, false
		}
		if hd.flags&flagPriority != 0 {
			w.pre += 5
		}
	}
	h.frame(hd)
	if hd.length == 0 {
		w.end(h)
	}
}

func (w *walker) payload(b []byte, h handler) {
	start := w.pos
	w.pos += uint32(len(b))
	if !isBlock(w.cur.typ) {
		if w.cur.typ == frameSettings || w.cur.typ == frameRSTStream {
			w.sn += copy(w.small[w.sn:], b)
		}
		return
	}
	if !w.padN && start == 0 && len(b) > 0 {
		w.pad, w.padN = uint32(b[0]), true
		if w.pre+w.pad > w.cur.length {
			h.lostBlock() // a malformed frame: nothing of it is a block
			w.pad = w.cur.length - w.pre
		}
	}
	lo, hi := max(start, w.pre), min(w.pos, w.cur.length-w.pad)
	if lo < hi {
		h.block(w.cur, b[lo-start:hi-start])
	}
}

func (w *walker) end(h handler) {
	w.in = false
	h.done(w.cur, w.small[:w.sn], w.cut)
}

// settingValue returns the value of setting id in a SETTINGS payload.
func settingValue(p []byte, id uint16) (uint32, bool) {
	for ; len(p) >= 6; p = p[6:] {
		if binary.BigEndian.Uint16(p) == id {
			return binary.BigEndian.Uint32(p[2:]), true
		}
	}
	return 0, false
}
