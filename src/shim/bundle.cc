#include "roadrunner/shim/bundle.h"

#include <algorithm>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "roadrunner/base/file.h"
#include "roadrunner/base/try.h"

namespace rr::shim {
namespace {

using nlohmann::json;

std::unexpected<Error> bad(std::string detail) {
  return fail(Errc::kMalformedConfig, "config.json", std::move(detail));
}

Result<std::vector<std::string>> stringList(const json& parent, const char* key,
                                            const std::string& where) {
  std::vector<std::string> out;
  if (!parent.contains(key)) {
    return out;
  }
  const json& list = parent.at(key);
  if (!list.is_array()) {
    return bad(where + "." + key + " must be a list of strings");
  }
  for (const auto& item : list) {
    if (!item.is_string()) {
      return bad(where + "." + key + " must be a list of strings");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

/// Lexically normal, absolute, and free of "..": a path that cannot leave its root.
std::string containedPath(const std::string& path) {
  std::filesystem::path p = std::filesystem::path("/") / path;
  return p.lexically_normal().string();
}

}  // namespace

bool BundleMount::isBind() const {
  return type == "bind" || std::ranges::any_of(options, [](const std::string& o) {
           return o == "bind" || o == "rbind";
         });
}

Result<BundleSpec> parseBundleConfig(std::string_view text) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return bad("not a JSON object");
  }
  BundleSpec spec;
  if (!doc.contains("process") || !doc.at("process").is_object()) {
    return bad("no process");
  }
  const json& process = doc.at("process");
  RR_ASSIGN_OR_RETURN(spec.args, stringList(process, "args", "process"));
  if (spec.args.empty() || spec.args[0].empty()) {
    return bad("process.args is empty: nothing names the module to run");
  }
  RR_ASSIGN_OR_RETURN(spec.env, stringList(process, "env", "process"));
  if (process.contains("cwd")) {
    if (!process.at("cwd").is_string()) {
      return bad("process.cwd must be a string");
    }
    spec.cwd = process.at("cwd").get<std::string>();
  }
  if (process.contains("terminal")) {
    if (!process.at("terminal").is_boolean()) {
      return bad("process.terminal must be a boolean");
    }
    spec.terminal = process.at("terminal").get<bool>();
  }
  if (doc.contains("root")) {
    const json& root = doc.at("root");
    if (!root.is_object() || (root.contains("path") && !root.at("path").is_string())) {
      return bad("root.path must be a string");
    }
    if (root.contains("path")) {
      spec.root_path = root.at("path").get<std::string>();
    }
  }
  if (doc.contains("mounts")) {
    if (!doc.at("mounts").is_array()) {
      return bad("mounts must be a list");
    }
    for (const auto& m : doc.at("mounts")) {
      if (!m.is_object() || !m.contains("destination") || !m.at("destination").is_string()) {
        return bad("each mount needs a destination string");
      }
      BundleMount mount{.destination = m.at("destination").get<std::string>()};
      for (const char* key : {"type", "source"}) {
        if (m.contains(key)) {
          if (!m.at(key).is_string()) {
            return bad("mount " + mount.destination + ": " + key + " must be a string");
          }
          (std::string(key) == "type" ? mount.type : mount.source) = m.at(key).get<std::string>();
        }
      }
      RR_ASSIGN_OR_RETURN(mount.options, stringList(m, "options", "mount " + mount.destination));
      spec.mounts.push_back(std::move(mount));
    }
  }
  if (doc.contains("annotations")) {
    const json& annotations = doc.at("annotations");
    if (!annotations.is_object()) {
      return bad("annotations must be an object");
    }
    for (const auto& [key, value] : annotations.items()) {
      if (!value.is_string()) {
        return bad("annotation " + key + " must be a string");
      }
      spec.annotations.emplace(key, value.get<std::string>());
    }
  }
  if (doc.contains("linux") && doc.at("linux").is_object()) {
    const json& linux = doc.at("linux");
    if (linux.contains("cgroupsPath") && linux.at("cgroupsPath").is_string()) {
      spec.cgroups_path = linux.at("cgroupsPath").get<std::string>();
    }
    if (linux.contains("resources")) {
      RR_ASSIGN_OR_RETURN(spec.resources, parseResources(linux.at("resources").dump()));
    }
    if (linux.contains("namespaces") && linux.at("namespaces").is_array()) {
      for (const auto& ns : linux.at("namespaces")) {
        if (ns.is_object() && ns.value("type", "") == "network" && ns.contains("path") &&
            ns.at("path").is_string()) {
          spec.netns_path = ns.at("path").get<std::string>();
        }
      }
    }
  }
  return spec;
}

Result<BundleSpec> loadBundle(const std::string& bundle_dir) {
  const std::string path = bundle_dir + "/config.json";
  RR_ASSIGN_OR_RETURN(const auto bytes, readFile(path));
  return parseBundleConfig(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Result<std::string> modulePath(const BundleSpec& spec, const std::string& rootfs) {
  const std::string& arg = spec.args.at(0);
  const std::string joined = arg.starts_with('/') ? arg : spec.cwd + "/" + arg;
  const std::string inside = containedPath(joined);
  return hostPath(spec, rootfs, inside);
}

std::string hostPath(const BundleSpec& spec, const std::string& rootfs,
                     const std::string& container_path) {
  const std::string path = containedPath(container_path);
  const BundleMount* best = nullptr;
  for (const auto& m : spec.mounts) {
    if (!m.isBind() || m.source.empty()) {
      continue;
    }
    const std::string dest = containedPath(m.destination);
    const bool under =
        path == dest || (path.starts_with(dest) && (dest == "/" || path[dest.size()] == '/'));
    if (under && (best == nullptr || dest.size() > containedPath(best->destination).size())) {
      best = &m;
    }
  }
  if (best != nullptr) {
    const std::string dest = containedPath(best->destination);
    return best->source + path.substr(dest == "/" ? 0 : dest.size());
  }
  return rootfs + (path == "/" ? "" : path);
}

std::string cgroupPath(const std::string& cgroups_path) {
  if (cgroups_path.empty()) {
    return "";
  }
  const auto first = cgroups_path.find(':');
  if (first == std::string::npos || cgroups_path.starts_with('/')) {
    return cgroups_path.starts_with('/') ? cgroups_path : "/" + cgroups_path;
  }
  const auto second = cgroups_path.find(':', first + 1);
  const std::string slice = cgroups_path.substr(0, first);
  const std::string prefix = second == std::string::npos
                                 ? cgroups_path.substr(first + 1)
                                 : cgroups_path.substr(first + 1, second - first - 1);
  const std::string name = second == std::string::npos ? "" : cgroups_path.substr(second + 1);
  const std::string stem = slice.ends_with(".slice") ? slice.substr(0, slice.size() - 6) : slice;
  std::string path;
  if (!stem.empty() && stem != "-") {
    for (std::size_t dash = stem.find('-'); dash != std::string::npos;
         dash = stem.find('-', dash + 1)) {
      path += "/" + stem.substr(0, dash) + ".slice";
    }
    path += "/" + stem + ".slice";
  }
  return path + "/" + (prefix.empty() ? name : prefix + "-" + name) + ".scope";
}

}  // namespace rr::shim
