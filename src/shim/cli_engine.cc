// CliEngine: a task becomes a child `roadrunner` process.
//   plain function       roadrunner run MODULE [--memory-limit-mib N] [--env K=V]... [--dir G:H]...
//                        [--allow-net G]... -- ARGS
//   receiver             roadrunner serve MODULE --name N --listen ADDR --ready-fd 3 ...
//                        [--metrics tcp:HOST:PORT]
//   function + targets   roadrunner up BUNDLE/roadrunner-workflow.json --no-prefix
//                        [--metrics tcp:HOST:PORT]

#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "roadrunner/base/try.h"
#include "roadrunner/base/unique_fd.h"
#include "roadrunner/base/wasm_magic.h"
#include "roadrunner/shim/engine.h"

namespace rr::shim {
namespace {

bool isDir(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool systemPath(const std::string& dest) {
  for (const std::string_view prefix : {"/proc", "/sys", "/dev"}) {
    if (dest == prefix || dest.starts_with(std::string(prefix) + "/")) {
      return true;
    }
  }
  return false;
}

Result<std::string> moduleOf(const TaskContext& ctx) {
  return ctx.module_path.empty() ? modulePath(ctx.spec, ctx.rootfs) : ctx.module_path;
}

class CliEngine final : public Engine {
 public:
  explicit CliEngine(std::string roadrunner) : roadrunner_(std::move(roadrunner)) {}

  [[nodiscard]] std::string_view name() const override { return "roadrunner-cli"; }

  [[nodiscard]] Result<> canHandle(const TaskContext& ctx) const override {
    RR_ASSIGN_OR_RETURN(const std::string module, moduleOf(ctx));
    std::FILE* f = std::fopen(module.c_str(), "rbe");
    if (f == nullptr) {
      return fail(Errc::kNotFound, "module",
                  ctx.spec.args[0] + " (" + module + "): " + std::strerror(errno));
    }
    std::array<std::byte, kWasmHeaderSize> head{};
    const std::size_t n = std::fread(head.data(), 1, head.size(), f);
    std::fclose(f);
    if (!startsLikeWasm(std::span(head).first(n))) {
      return fail(Errc::kNotWasm, "module", ctx.spec.args[0] + " starts without the \\0asm magic");
    }
    return {};
  }

  [[nodiscard]] Result<Launch> plan(const TaskContext& ctx) const override {
    RR_ASSIGN_OR_RETURN(const std::string module, moduleOf(ctx));
    const std::vector<std::string> guest_args(ctx.spec.args.begin() + 1, ctx.spec.args.end());
    // Preopens: the rootfs as "/", then bind-mounted directories and tmpfs mounts.
    std::vector<std::string> dirs{"/:" + ctx.rootfs};
    Launch launch;
    int tmpfs_index = 0;
    for (const auto& m : ctx.spec.mounts) {
      if (systemPath(m.destination)) {
        continue;
      }
      if (m.isBind() && isDir(m.source)) {
        dirs.push_back(m.destination + ":" + m.source);
      } else if (m.type == "tmpfs") {
        const std::string dir = ctx.bundle_dir + "/tmpfs/" + std::to_string(tmpfs_index++);
        launch.make_dirs.push_back(dir);
        dirs.push_back(m.destination + ":" + dir);
      }
    }
    std::vector<std::string> env;
    for (const auto& kv : ctx.spec.env) {
      if (const auto eq = kv.find('='); eq != std::string::npos && eq > 0) {
        env.push_back(kv);
      }
    }
    const std::uint32_t memory_mib = linearMemoryCapMib(ctx.spec.resources);
    auto& argv = launch.argv;
    argv.push_back(roadrunner_);
    if (ctx.wiring.receiver) {
      argv.insert(argv.end(), {"serve", module, "--name", ctx.wiring.name, "--listen",
                               ctx.listen_address, "--ready-fd", "3"});
      launch.ready_fd = true;
      if (!ctx.secret_host_path.empty()) {
        argv.insert(argv.end(), {"--secret-file", ctx.secret_host_path});
      }
      for (const auto& t : ctx.targets) {
        argv.insert(argv.end(), {"--target", t.name + "=" + t.address});
      }
      if (memory_mib != 0) {
        argv.insert(argv.end(), {"--memory-limit-mib", std::to_string(memory_mib)});
      }
      if (!ctx.wiring.metrics.empty()) {
        argv.insert(argv.end(), {"--metrics", ctx.wiring.metrics});
      }
      if (!ctx.wiring.traces.empty()) {
        argv.insert(argv.end(), {"--traces", ctx.wiring.traces});
      }
    } else if (!ctx.targets.empty()) {
      nlohmann::json fn{{"wasm", module}, {"args", guest_args}, {"dirs", dirs}};
      nlohmann::json env_object = nlohmann::json::object();
      for (const auto& kv : env) {
        const auto eq = kv.find('=');
        env_object[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
      fn["env"] = env_object;
      if (!ctx.wiring.allow_net.empty()) {
        fn["network"] = ctx.wiring.allow_net;
      }
      if (memory_mib != 0) {
        fn["memory_limit_mib"] = memory_mib;
      }
      nlohmann::json wf{{"name", ctx.id},
                        {"functions", {{ctx.wiring.name, fn}}},
                        {"edges", nlohmann::json::array()}};
      for (const auto& t : ctx.targets) {
        // A receiver that runs elsewhere: its module is not read here.
        wf["functions"][t.name] = {{"wasm", "(runs in its own container)"}};
        wf["edges"].push_back({{"from", ctx.wiring.name},
                               {"to", t.name},
                               {"mode", t.kernel() ? "kernel" : "network"},
                               {"address", t.address}});
      }
      if (!ctx.secret_host_path.empty()) {
        wf["secret_file"] = ctx.secret_host_path;
      }
      launch.workflow_path = ctx.bundle_dir + "/roadrunner-workflow.json";
      launch.workflow_json = wf.dump(2) + "\n";
      argv.insert(argv.end(), {"up", launch.workflow_path, "--no-prefix"});
      if (ctx.wiring.interpreter) {
        argv.emplace_back("--interpreter");
      }
      if (!ctx.wiring.metrics.empty()) {
        argv.insert(argv.end(), {"--metrics", ctx.wiring.metrics});
      }
      if (!ctx.wiring.traces.empty()) {
        argv.insert(argv.end(), {"--traces", ctx.wiring.traces});
      }
      return launch;
    } else {
      argv.insert(argv.end(), {"run", module});
      if (memory_mib != 0) {
        argv.insert(argv.end(), {"--memory-limit-mib", std::to_string(memory_mib)});
      }
    }
    if (ctx.wiring.interpreter) {
      argv.emplace_back("--interpreter");
    }
    for (const auto& kv : env) {
      argv.insert(argv.end(), {"--env", kv});
    }
    for (const auto& d : dirs) {
      argv.insert(argv.end(), {"--dir", d});
    }
    for (const auto& grant : ctx.wiring.allow_net) {
      argv.insert(argv.end(), {"--allow-net", grant});
    }
    argv.emplace_back("--");
    argv.insert(argv.end(), guest_args.begin(), guest_args.end());
    return launch;
  }

 private:
  std::string roadrunner_;
};

}  // namespace

std::unique_ptr<Engine> makeCliEngine(std::string roadrunner_path) {
  return std::make_unique<CliEngine>(std::move(roadrunner_path));
}

}  // namespace rr::shim
