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
