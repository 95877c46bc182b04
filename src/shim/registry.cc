#include "roadrunner/shim/registry.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "roadrunner/base/file.h"
#include "roadrunner/base/try.h"
#include "roadrunner/base/unix_address.h"

namespace rr::shim {
namespace {

Result<> makeDirs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return failErrno("mkdir", ec.value(), dir);
  }
  return {};
}

}  // namespace

std::string shimRoot() {
  const char* root = std::getenv("RR_SHIM_ROOT");
  return root != nullptr && *root != '\0' ? root : "/run/roadrunner";
}

Registry::Registry(std::string root, std::string ns, UnixAlive unix_alive)
    : root_(std::move(root)), ns_(std::move(ns)), unix_alive_(std::move(unix_alive)) {}

std::string Registry::entryPath(const std::string& name) const {
  return root_ + "/registry/" + ns_ + "/" + name;
}

std::string Registry::socketPath(const std::string& name) const {
  return root_ + "/sockets/" + ns_ + "/" + name + ".sock";
}

Result<std::optional<RegistryEntry>> Registry::lookup(const std::string& name) const {
  const std::string path = entryPath(name);
  auto bytes = readFile(path);
  if (!bytes) {
    if (bytes.error().code == std::errc::no_such_file_or_directory) {
      return std::optional<RegistryEntry>();
    }
    return std::unexpected(bytes.error());
  }
  const std::string text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  const auto nl = text.find('\n');
  RegistryEntry entry{.address = text.substr(0, nl)};
  if (nl != std::string::npos) {
    entry.owner = text.substr(nl + 1);
    if (const auto nl2 = entry.owner.find('\n'); nl2 != std::string::npos) {
      entry.owner.resize(nl2);
    }
  }
  if (entry.address.empty()) {
    return fail(Errc::kMalformedConfig, "registry", path + " holds no address");
  }
  return std::optional<RegistryEntry>(std::move(entry));
}

Result<> Registry::add(const std::string& name, const RegistryEntry& entry) const {
  RR_RETURN_IF_ERROR(makeDirs(root_ + "/registry/" + ns_));
  RR_ASSIGN_OR_RETURN(const auto existing, lookup(name));
  if (existing && existing->owner != entry.owner) {
    const auto path = parseUnixAddress(existing->address);
    const bool stale = path && !unix_alive_(std::string(*path));
    if (!stale) {
      return failErrno("register", EEXIST,
                       "'" + name + "' is already registered by container " + existing->owner +
                           " at " + existing->address);
    }
  }
  const std::string text = entry.address + "\n" + entry.owner + "\n";
  return writeFileAtomic(entryPath(name),
                         std::span(reinterpret_cast<const std::byte*>(text.data()), text.size()));
}

Result<> Registry::remove(const std::string& name, const std::string& owner) const {
  RR_ASSIGN_OR_RETURN(const auto existing, lookup(name));
  if (!existing || existing->owner != owner) {
    return {};
  }
  if (::unlink(entryPath(name).c_str()) != 0 && errno != ENOENT) {
    return failErrno("unlink", errno, entryPath(name));
  }
  return {};
}

}  // namespace rr::shim
