package roadrunner

import "unsafe"

//go:wasmimport roadrunner share_pages
func sharePages(buf, n uint32) uint32

//go:wasmimport roadrunner unshare_pages
func unsharePages(buf, n uint32) uint32

// A SharedBuffer holds bytes whose pages the host can share (the share_pages import): Send from
// it maps its whole pages into each receiver copy-on-write (in the same process, and over kernel
// edges from 1 MiB through its memfd), so a group of any size costs no copy. The sender keeps its bytes. A function holds at most 64 at
// once; Free gives one back.
type SharedBuffer struct {
	b     []byte
	pages []byte // the whole pages shared, which b starts
}

// sharedLive keeps every shared buffer's memory reachable until Free: the garbage collector must not
// hand shared pages to other objects.
var sharedLive = map[uintptr][]byte{}

// NewSharedBuffer returns a zeroed shared buffer of n bytes, or the host's status when it
// shares no more pages for this function.
func NewSharedBuffer(n int) (SharedBuffer, error) {
	rounded := (n + pageSize - 1) &^ (pageSize - 1)
	if rounded == 0 {
		rounded = pageSize
	}
	align := pageSize
	if rounded >= hugePageSize {
		align = hugePageSize
	}
	b := make([]byte, rounded+align) // room to align in, as NewMoveBuffer
	skip := (align - int(address(b))%align) % align
	pages := b[skip : skip+rounded : skip+rounded]
	if st := Status(sharePages(address(pages), uint32(rounded))); st != OK {
		return SharedBuffer{}, st.err()
	}
	sharedLive[uintptr(unsafe.Pointer(unsafe.SliceData(pages)))] = b
	return SharedBuffer{b: pages[:n:n], pages: pages}, nil
}

// Bytes is the buffer's memory, to fill before Send.
func (s SharedBuffer) Bytes() []byte { return s.b }

// Free gives the pages back to the function's own memory (private zero pages again) and lets
// the garbage collector have them; the buffer must not be used afterwards.
func (s SharedBuffer) Free() {
	if len(s.pages) == 0 {
		return
	}
	unsharePages(address(s.pages), uint32(len(s.pages)))
	delete(sharedLive, uintptr(unsafe.Pointer(unsafe.SliceData(s.pages))))
}
