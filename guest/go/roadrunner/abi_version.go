package roadrunner

// ABIVersion is the RR_ABI_VERSION this SDK speaks.
//
// The SDK does not export rr_abi_version (which is optional, docs/abi.md): the host calls it
// right after instantiation, before _initialize or _start, and a Go //go:wasmexport function
// called before the Go runtime is initialized aborts ("runtime: wasmexport function called
// before runtime initialization"), which the host reports as an ABI version mismatch.
const ABIVersion = 1
