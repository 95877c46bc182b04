//! `PageBuf`: an owned, zeroed byte buffer that starts on a page boundary and spans whole pages,
//! the layout a host may map instead of copy, and the buffer `send_move` hands over.

use std::alloc::{self, Layout};
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

use crate::abi::{HUGE_PAGE_SIZE, PAGE_SIZE};

/// A page-aligned buffer of `len` bytes (its allocation rounded up to whole pages), aligned to
/// `HUGE_PAGE_SIZE` from that size up so that a move hands it over as whole 2 MiB pages.
pub struct PageBuf {
    ptr: NonNull<u8>,
    len: usize,
}

impl PageBuf {
    /// A zeroed buffer of `len` bytes, or `None` when memory is short.
    pub fn zeroed(len: usize) -> Option<PageBuf> {
        let layout = Self::layout(len)?;
        // SAFETY: the layout's size is at least one page, never zero.
        let ptr = NonNull::new(unsafe { alloc::alloc_zeroed(layout) })?;
        Some(PageBuf { ptr, len })
    }

    /// The allocation's address and size (whole pages), as the host's imports take them.
    pub(crate) fn pages(&self) -> (u32, u32) {
        let size = Self::layout(self.len).map_or(0, |l| l.size());
        (self.ptr.as_ptr() as usize as u32, size as u32)
    }

    pub(crate) fn layout(len: usize) -> Option<Layout> {
        let rounded = len.max(1).checked_next_multiple_of(PAGE_SIZE as usize)?;
        let align = if rounded >= HUGE_PAGE_SIZE as usize {
            HUGE_PAGE_SIZE
        } else {
            PAGE_SIZE
        };
        Layout::from_size_align(rounded, align as usize).ok()
    }
}

impl Deref for PageBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr` is a live allocation of at least `len` initialized (zeroed) bytes, owned
        // by this value; the shared borrow of `self` keeps it alive and unchanged.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl DerefMut for PageBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as for `deref`, and the exclusive borrow of `self` makes this the only
        // reference to the bytes.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for PageBuf {
    fn drop(&mut self) {
        if let Some(layout) = Self::layout(self.len) {
            // SAFETY: allocated in `zeroed` with this same layout (recomputed from `len`, which
            // never changes), and freed only here, once.
            unsafe { alloc::dealloc(self.ptr.as_ptr(), layout) }
        }
    }
}

/// A `PageBuf` whose pages the host can share (the ABI's `share_pages`): `roadrunner::send` from
/// it maps its whole pages into each receiver copy-on-write (in the same process, and over
/// kernel edges from 1 MiB through its memfd), so a group of any size costs no copy. The sender keeps its bytes. At most 64 at once per function.
pub struct SharedBuf {
    buf: PageBuf,
}

impl SharedBuf {
    /// A zeroed shared buffer of `len` bytes, or `None` when memory is short or the host shares
    /// no more pages for this function.
    pub fn zeroed(len: usize) -> Option<SharedBuf> {
        let buf = PageBuf::zeroed(len)?;
        let (at, size) = buf.pages();
        // SAFETY: `[at, at+size)` is `buf`'s own allocation, whole pages, which the host only
        // replaces with zero pages of its own; nothing else refers to it yet.
        let status = unsafe { crate::raw::share_pages(at, size) };
        (status == crate::abi::OK).then_some(SharedBuf { buf })
    }
}

impl Deref for SharedBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf
    }
}

impl DerefMut for SharedBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }
}

impl Drop for SharedBuf {
    fn drop(&mut self) {
        let (at, size) = self.buf.pages();
        // SAFETY: the range `zeroed` shared; private zero pages again before `buf` frees it.
        let _ = unsafe { crate::raw::unshare_pages(at, size) };
    }
}
