// `roadrunner demo`: the image and text pipelines end to end on generated input, then what
// moved, how fast, and how many copies the host made; then a stream far larger than the memory
// of the functions it passes through.

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "roadrunner/base/sha256.h"
#include "roadrunner/runtime/runner.h"
#include "roadrunner/sys/subprocess.h"

#include "cli.h"
#include "options.h"

namespace rr::cli {

std::string guestDir() {
  // The CLI lives in <build>/bin; guests and examples are built into <build>/guests.
  const std::filesystem::path exe = sys::selfExecutable();
  return (exe.parent_path().parent_path() / "guests").string();
}

namespace {

// Where the demo leaves what it made: <build>/demo, beside the binary's build, replaced on every
// run, so the user can open the picture afterwards.
std::string demoDir() {
  const std::filesystem::path exe = sys::selfExecutable();
  return (exe.parent_path().parent_path() / "demo").string();
}

// The inputs are large and generated; only the results stay.
void removeInputs(const std::string& dir) {
  std::error_code ignored;
  std::filesystem::remove(dir + "/input.txt", ignored);
  std::filesystem::remove(dir + "/card.ppm", ignored);
  std::filesystem::remove(dir + "/stream.txt", ignored);
}

// The stream pipeline (examples/stream): `mib` MiB of text through source -> upper -> digest,
// each function's memory capped at 16 MiB, and its SHA-256 against the one computed here of
// the text upper-cased (what `tr a-z A-Z < FILE | sha256sum` prints).
int streamDemo(const std::string& dir, const std::string& guests, std::uint64_t mib) {
  std::string text;
  const std::string line = "Streams carry data of any length through bounded buffers.\n";
  text.reserve((mib << 20U) + line.size());
  while (text.size() < (mib << 20U)) {
    text += line;
  }
  {
    std::ofstream out(dir + "/stream.txt", std::ios::binary);
    out << text;
  }
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  const std::string want = toHex(sha256(std::as_bytes(std::span(text))));
  text = {};
  constexpr std::uint32_t kCapMib = 16;
  const runtime::Workflow stream{
      .name = "stream-pipeline",
      .functions = {{.name = "source",
                     .wasm = guests + "/stream_source.wasm",
                     .args = {"/data/stream.txt"},
                     .dirs = {"/data:" + dir},
                     .memory_limit_mib = kCapMib},
                    {.name = "upper",
                     .wasm = guests + "/stream_upper.wasm",
                     .memory_limit_mib = kCapMib},
                    {.name = "digest",
                     .wasm = guests + "/stream_digest.wasm",
                     .env = {"OUT=/data/stream.sha256"},
                     .dirs = {"/data:" + dir},
                     .memory_limit_mib = kCapMib}},
      .edges = {{.from = "source", .to = "upper"}, {.from = "upper", .to = "digest"}}};
  std::printf(
      "demo: stream pipeline, source -> upper -> digest, %llu MiB through functions whose "
      "memory is capped at %u MiB, embedded mode\n",
      static_cast<unsigned long long>(mib), kCapMib);
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  auto report = runtime::runWorkflow(stream, {});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!report) {
    return reportError(report.error());
  }
  std::ifstream got_file(dir + "/stream.sha256");
  std::string got;
  std::getline(got_file, got);
  if (report->exit_code != 0 || got != want) {
    std::fprintf(stderr, "roadrunner demo: the stream's digest %s is not %s\n", got.c_str(),
                 want.c_str());
    return 1;
  }
  std::printf(
      "demo:   %llu MiB streamed in %.2f s (start-up included); the digest matches the "
      "SHA-256 of the upper-cased input computed here\n",
      static_cast<unsigned long long>(mib), seconds);
  return 0;
}

// What moved where, from the runner's counters.
void printMoves(const runtime::RunReport& report) {
  for (const auto& r : report.instances) {
    if (r.deliveries == 0) {
      continue;
    }
    const double moved = r.delivery_seconds;
    std::printf(
        "demo:   %llu bytes reached %s's handler %.2f ms after the send call (%.2f GB/s),"
        " one host copy, no serialization\n",
        static_cast<unsigned long long>(r.delivered_bytes), r.name.c_str(), moved * 1e3,
        moved > 0 ? static_cast<double>(r.delivered_bytes) / moved / 1e9 : 0.0);
  }
}

// A PPM (P6) test card: colour gradients, width x height.
void writePpm(const std::string& path, int width, int height) {
  std::ofstream out(path, std::ios::binary);
  out << "P6\n" << width << " " << height << "\n255\n";
  std::string row(static_cast<std::size_t>(width) * 3, '\0');
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      row[static_cast<std::size_t>(x) * 3] = static_cast<char>(x * 255 / width);
      row[static_cast<std::size_t>(x) * 3 + 1] = static_cast<char>(y * 255 / height);
      row[static_cast<std::size_t>(x) * 3 + 2] = static_cast<char>((x ^ y) & 0xFF);
    }
    out << row;
  }
}

}  // namespace

int demoCommand(Args args) {
  const auto app = makeApp("demo");
  std::uint64_t mib = 64;
  app->add_option("--mib", mib, "the size of the text pipeline's input (1 to 1024; default 64)")
      ->type_name("N")
      ->check(wholeNumber(1, 1024));
  app->footer(
      "Every pipeline runs in embedded mode, in this process; see examples/. The stream "
      "pipeline carries four times --mib.");
  if (auto status = parse(*app, args)) {
    return *status;
  }
  const std::string dir = demoDir();
  std::error_code cleared;
  std::filesystem::remove_all(dir, cleared);
  std::filesystem::create_directories(dir);
  const std::string guests = guestDir();
  {
    // The paper's payload phrase, as lines of words.
    std::ofstream out(dir + "/input.txt", std::ios::binary);
    const std::string line =
        "Artifact for middleware evaluation Artifact for middleware evaluation\n";
    for (std::uint64_t written = 0; written < (mib << 20U); written += line.size()) {
      out << line;
    }
  }
  runtime::Workflow workflow{
      .name = "text-pipeline",
      .functions = {{.name = "producer",
                     .wasm = guests + "/text_producer.wasm",
                     .args = {"/data/input.txt"},
                     .dirs = {"/data:" + dir}},
                    {.name = "counter", .wasm = guests + "/text_counter.wasm"}},
      .edges = {{.from = "producer", .to = "counter"}}};
  std::printf(
      "demo: image pipeline, producer (C) -> transform (Rust) -> encoder (C), embedded mode\n");
  writePpm(dir + "/card.ppm", 3000, 2000);
  runtime::Workflow image{
      .name = "image-pipeline",
      .functions = {{.name = "producer",
                     .wasm = guests + "/image_producer.wasm",
                     .args = {"/data/card.ppm"},
                     .dirs = {"/data:" + dir}},
                    {.name = "transform", .wasm = guests + "/rust_image_transform.wasm"},
                    {.name = "encoder",
                     .wasm = guests + "/image_encoder.wasm",
                     .env = {"OUT=/data/card-gray.png"},
                     .dirs = {"/data:" + dir}}},
      .edges = {{.from = "producer", .to = "transform"}, {.from = "transform", .to = "encoder"}}};
  std::fflush(stdout);
  auto image_report = runtime::runWorkflow(image, {});
  if (!image_report) {
    removeInputs(dir);
    return reportError(image_report.error());
  }
  printMoves(*image_report);
  if (image_report->exit_code != 0) {
    removeInputs(dir);
    return image_report->exit_code;
  }
  std::printf(
      "demo: the encoder's picture is %s/card-gray.png (the 3000x2000 test card, grayscale "
      "and half size); open it with any image viewer\n",
      dir.c_str());
  std::printf("demo: text pipeline, producer -> counter, %llu MiB, embedded mode (one process)\n",
              static_cast<unsigned long long>(mib));
  std::fflush(stdout);
  auto report = runtime::runWorkflow(workflow, {});
  if (!report) {
    removeInputs(dir);
    return reportError(report.error());
  }
  std::fflush(stdout);
  printMoves(*report);
  for (const auto& r : report->instances) {
    if (r.sends > 0) {
      std::printf(
          "demo: %s: %llu send(s), %llu host copies, %.2f ms in send including the "
          "receiver's handler\n",
          r.name.c_str(), static_cast<unsigned long long>(r.sends),
          static_cast<unsigned long long>(r.copies), r.send_seconds * 1e3);
    }
  }
  if (report->exit_code != 0) {
    return report->exit_code;
  }
  const int streamed = streamDemo(dir, guests, 4 * mib);
  removeInputs(dir);
  return streamed;
}

}  // namespace rr::cli
