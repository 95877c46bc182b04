// Fuzzes the guest-ABI host functions with arbitrary pointers, lengths and target names against
// the linear memory of a real WasmEdge instance (interpreter): every call returns a status and
// touches nothing outside the guest's memory (ASan watches the host side). share_pages and
// unshare_pages run on the same arguments, so sends (lends and moves) also come from shared
// ranges; add_counter and span_event get the target name as their name. The stream calls open,
// write and close on the same arguments (the handle from reply_len_out's slot, so wild handles
// too), and send_async starts a send whose ticket send_wait waits for, or does not.

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "roadrunner/host/guest_memory.h"
#include "roadrunner/host/imports.h"
#include "roadrunner/wasm/engine.h"
#include "roadrunner/wasm/instance.h"
#include "roadrunner/wasm/shared_pages.h"

namespace {

// Accepts every delivery: copies the payload (so ASan sees every byte read) and replies; a
// stream's events too, whose statuses it checks against the sender's order.
class EchoEndpoint final : public rr::host::Endpoint {
 public:
  void deliverAsync(const rr::host::Delivery& d, rr::host::Completion& c) override {
    if (d.stream.event != rr::host::StreamEvent::kNone &&
        d.stream.event != rr::host::StreamEvent::kData && !d.payload.empty()) {
      __builtin_trap();  // an end or an abort never carries bytes
    }
    sink_.assign(d.payload.begin(), d.payload.end());
    const std::size_t n = std::min(d.reply.size(), sink_.size());
    if (n > 0) {  // an empty span's data() may be null, and memcpy forbids null even for 0 bytes
      std::memcpy(d.reply.data(), sink_.data(), n);
    }
    c.done({.reply_len = static_cast<std::uint32_t>(sink_.size()), .copied_bytes = sink_.size()});
  }

 private:
  std::vector<std::byte> sink_;
};

struct World {
  World() {
    auto engine = rr::wasm::Engine::create({.interpreter = true});
    auto module = engine->prepare(RR_FUZZ_GUEST);
    instance = std::make_unique<rr::wasm::Instance>(
        std::move(*rr::wasm::Instance::create(*engine, *module, {})));
    router.addEndpoint("sink", &sink);
    router.allow("fuzz", "sink");
  }
  EchoEndpoint sink;
  rr::host::Router router;
  rr::host::TransferStats stats;
  rr::host::Imports imports{"fuzz", &router, &stats};
  std::unique_ptr<rr::wasm::Instance> instance;
  rr::wasm::SharedPages shared;
};

std::uint32_t take(const std::uint8_t*& data, std::size_t& size) {
  std::uint32_t v = 0;
  const std::size_t n = std::min<std::size_t>(size, 4);
  std::memcpy(&v, data, n);
  data += n;
  size -= n;
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  const std::span<std::byte> memory = world.instance->memory();
  const std::uint32_t mem_size = static_cast<std::uint32_t>(memory.size());
  const std::uint8_t selector = size > 0 ? data[0] : 0;
  // Seven raw arguments; the selector sometimes folds them into the memory's range.
  rr::host::SendArgs a;
  std::uint32_t* fields[] = {&a.target, &a.target_len, &a.buf,          &a.len,
                             &a.reply,  &a.reply_cap,  &a.reply_len_out};
  for (std::uint32_t* f : fields) {
    *f = take(data, size);
    if ((selector & 1U) != 0 && mem_size > 0) {
      *f %= mem_size;
    }
  }
  // Plant a target name ("sink" or fuzz bytes) where the guest says it is.
  if (auto name = rr::host::guestSlice(memory, a.target, std::min<std::uint32_t>(a.target_len, 16));
      name && (selector & 2U) != 0) {
    std::memcpy(name->data(), "sink", std::min<std::size_t>(name->size(), 4));
  }
  if ((selector & 12U) != 0) {
    const auto shared = (selector & 4U) != 0 ? world.shared.share(memory, a.buf, a.len)
                                             : world.shared.unshare(memory, a.buf, a.len);
    if (static_cast<std::uint32_t>(shared) > RR_STATUS_MAX ||
        world.shared.size() > rr::wasm::SharedPages::kMaxRanges) {
      __builtin_trap();
    }
  }
  const auto kind = (selector & 16U) != 0 ? rr::host::Imports::SendKind::kMove
                                          : rr::host::Imports::SendKind::kLend;
  const auto status = world.imports.send(memory, a, kind, &world.shared);
  if (static_cast<std::uint32_t>(status) > RR_STATUS_MAX) {
    __builtin_trap();
  }
  (void)world.imports.reply(memory, a.buf, a.len);
  const auto counted = world.imports.addCounter(memory, a.target, a.target_len, a.len);
  if (static_cast<std::uint32_t>(counted) > RR_STATUS_MAX) {
    __builtin_trap();
  }
  const auto event = world.imports.spanEvent(memory, a.target, a.target_len);
  if (static_cast<std::uint32_t>(event) > RR_STATUS_MAX) {
    __builtin_trap();
  }
  const auto check = [](rr::host::Status st) {
    if (static_cast<std::uint32_t>(st) > RR_STATUS_MAX) {
      __builtin_trap();
    }
  };
  check(world.imports.streamOpen(memory, a.target, a.target_len, a.reply));
  check(world.imports.streamWrite(memory, a.reply_len_out % 20, a.buf, a.len));
  if ((selector & 32U) != 0) {
    check(world.imports.streamClose(a.reply_len_out % 20, a.reply_cap & 3U));
  }
  check(world.imports.sendAsync(memory, a, a.reply));
  if ((selector & 64U) != 0) {
    check(world.imports.sendWait(a.reply_len_out % 12));
  }
  return 0;
}
