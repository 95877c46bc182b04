// roadrunner-guest: reactor
// Claims a Roadrunner ABI version this host does not speak.
#include <stdint.h>

__attribute__((export_name("rr_abi_version"))) uint32_t rr_abi_version(void) { return 999; }
__attribute__((export_name("rr_alloc"))) uint32_t rr_alloc(uint32_t len) { return len ? 1024 : 0; }
__attribute__((export_name("rr_on_message"))) int32_t rr_on_message(uint32_t a, uint32_t b,
                                                                    uint32_t c, uint32_t d) {
  return (int32_t)(a + b + c + d) * 0;
}
