# Rust guests: crates built by Debian's cargo for wasm32-wasip1, offline, in the guest project.
# Crates declare `roadrunner = "0.1"` as they would a published crate; cargo's configuration here
# (as in scripts/cargo) resolves it to guest/rust/roadrunner and every other crate from Debian's
# registry (librust-*-dev packages, /usr/share/cargo/registry). No network registry is asked.
#
# rr_add_rust_guest(NAME DIR [DEPENDS FILE...]) -> ${RR_GUEST_OUT}/NAME.wasm
#   DIR holds a crate whose package is named NAME: a [[bin]] for a command, a cdylib for a
#   receiver (the SDK's receiver! macro makes its exports). Its Cargo.lock is committed and used
#   as is (--locked). DEPENDS names sources outside DIR that the crate includes. A warning in a
#   guest's own code fails its build, as -Werror does for the C guests.
find_program(RR_CARGO cargo REQUIRED)
set(RR_CARGO_HOME ${CMAKE_BINARY_DIR}/cargo-home)
# The target directory may be shared with other builds of the guests (RR_GUEST_CACHE, set by
# cmake/Guests.cmake); cargo locks it while it builds.
if(RR_GUEST_CACHE)
  set(RR_CARGO_TARGET ${RR_GUEST_CACHE}/cargo-target)
else()
  set(RR_CARGO_TARGET ${CMAKE_BINARY_DIR}/cargo-target)
endif()
file(WRITE ${RR_CARGO_HOME}/config.toml
     "[source.crates-io]\nreplace-with = \"debian\"\n\n"
     "[source.debian]\ndirectory = \"/usr/share/cargo/registry\"\n\n"
     "[net]\noffline = true\n\n"
     "[patch.crates-io]\nroadrunner = { path = \"${RR_SOURCE_DIR}/guest/rust/roadrunner\" }\n")
file(GLOB_RECURSE RR_RUST_SDK_SOURCES CONFIGURE_DEPENDS ${RR_SOURCE_DIR}/guest/rust/*.rs
     ${RR_SOURCE_DIR}/guest/rust/*.toml)

function(rr_add_rust_guest name dir)
  cmake_parse_arguments(G "" "" "DEPENDS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${dir}/*.rs ${dir}/Cargo.toml ${dir}/Cargo.lock)
  list(APPEND sources ${G_DEPENDS})
  set(out ${RR_GUEST_OUT}/${name}.wasm)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E env CARGO_HOME=${RR_CARGO_HOME} RUSTFLAGS=-Dwarnings
            ${RR_CARGO} build --quiet --release --locked --offline --target wasm32-wasip1
            --manifest-path ${dir}/Cargo.toml --target-dir ${RR_CARGO_TARGET}
    COMMAND ${CMAKE_COMMAND} -E copy ${RR_CARGO_TARGET}/wasm32-wasip1/release/${name}.wasm ${out}
    DEPENDS ${sources} ${RR_RUST_SDK_SOURCES}
    COMMENT "cargo: ${name}.wasm"
    VERBATIM)
  add_custom_target(${name} ALL DEPENDS ${out})
endfunction()
