#include "mounts.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <map>

namespace rr::shim {

Result<> mountRootfs(const std::vector<RootfsMount>& mounts, const std::string& target) {
  if (::mkdir(target.c_str(), 0711) != 0 && errno != EEXIST) {
    return failErrno("mkdir", errno, target);
  }
  static const std::map<std::string, unsigned long, std::less<>> kFlags{
      {"bind", MS_BIND},       {"rbind", MS_BIND | MS_REC}, {"ro", MS_RDONLY},
      {"nosuid", MS_NOSUID},   {"nodev", MS_NODEV},         {"noexec", MS_NOEXEC},
      {"noatime", MS_NOATIME}, {"relatime", MS_RELATIME},   {"private", MS_PRIVATE},
  };
  for (const auto& m : mounts) {
    unsigned long flags = 0;
    std::string data;
    for (const auto& o : m.options) {
      if (const auto it = kFlags.find(o); it != kFlags.end()) {
        flags |= it->second;
      } else if (o != "rw" && o != "defaults") {
        data += (data.empty() ? "" : ",") + o;
      }
    }
    const std::string type = m.type == "bind" ? "none" : m.type;
    if (::mount(m.source.c_str(), target.c_str(), type.c_str(),
                (flags & MS_BIND) != 0 ? flags & ~static_cast<unsigned long>(MS_RDONLY) : flags,
                data.empty() ? nullptr : data.c_str()) != 0) {
      return failErrno("mount rootfs", errno, m.type + " " + m.source + " on " + target);
    }
    if ((flags & MS_BIND) != 0 && (flags & MS_RDONLY) != 0) {
      if (::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) !=
          0) {
        return failErrno("remount rootfs read-only", errno, target);
      }
    }
  }
  return {};
}

void unmountRootfs(const std::string& target) {
  while (::umount2(target.c_str(), MNT_DETACH) == 0) {
  }
}

}  // namespace rr::shim
