// attack_receiver, except that it can be built only once: its first instance leaves a marker in
// the preopen /state, and an instance that finds the marker traps in _initialize. A host that
// rebuilds it after a trap therefore fails to, and must stop serving rather than go on with the
// trapped instance.
#include <stdio.h>

#include "attack_receiver.c"

void __wasm_call_ctors(void);

__attribute__((export_name("_initialize"))) void initialize(void) {
  __wasm_call_ctors();  // what a reactor's _initialize does first: libc's set-up, preopens included
  FILE* marker = fopen("/state/built", "r");
  if (marker != NULL) {
    __builtin_trap();
  }
  marker = fopen("/state/built", "w");
  if (marker != NULL) {
    fclose(marker);
  }
}
