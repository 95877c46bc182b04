#pragma once

// Files whose page cache uses 2 MiB pages, for shared buffers that never leave the process.
// @see man 2 fsopen, man 2 fsmount, Documentation/filesystems/tmpfs.rst (huge=within_size)

#include <cstddef>
#include <cstdint>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"

namespace rr::sys {

/// The size of a huge page, and the alignment a file offset and an address must share for the
/// kernel to map the page with one page-table entry.
inline constexpr std::uint64_t kHugePage = std::uint64_t{2} << 20;

/// An unnamed file of `size` bytes (zeros) on a tmpfs mounted for this process alone with
/// `huge=within_size`: every 2 MiB of the file that lies wholly within its size is one huge page,
/// mapped with one page-table entry wherever the mapping's address and file offset agree modulo
/// kHugePage. A memfd here has 4 KiB pages only (the machines' `shmem_enabled` is `never`), so a
/// reader of a mapped memfd takes a fault per 64 KiB and a page-table entry per 4 KiB.
///
/// The mount is made once per process, detached (fsopen/fsmount: it appears in no mount table
/// and no path reaches it) and unlimited in size, as memfds are. It needs CAP_SYS_ADMIN in the
/// process's mount namespace; without it every call fails with the same error (EPERM), and the
/// caller falls back to a memfd. Unlike a memfd, the file cannot be sealed: it must never be
/// handed to a process that does not trust this one (a truncate would cut a mapping short).
///
/// Ownership: the caller owns the descriptor; the mount lives as long as the process or its last
/// file. Thread-safety: safe to call from any thread. Errors: fsopen's, fsconfig's, fsmount's,
/// open's (O_TMPFILE), ftruncate's.
[[nodiscard]] Result<UniqueFd> makeHugePageFile(std::uint64_t size);

}  // namespace rr::sys
