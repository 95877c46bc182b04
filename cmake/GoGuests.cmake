# Go guests: packages built by Debian's Go 1.24 for GOOS=wasip1, offline, in the guest project.
#
# rr_add_go_guest(NAME DIR) -> ${RR_GUEST_OUT}/NAME.wasm
#   DIR holds a Go module (go.mod) with package main. A command builds as a WASI command; a
#   receiver (a file with the line `// roadrunner-guest: reactor`) as a reactor
#   (-buildmode=c-shared), whose exports the SDK declares with //go:wasmexport.
find_program(RR_GO go PATHS /usr/lib/go-1.24/bin NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH REQUIRED)
# The build cache may be shared with other builds of the guests (RR_GUEST_CACHE, set by
# cmake/Guests.cmake); Go's cache is safe for concurrent builds.
if(RR_GUEST_CACHE)
  set(RR_GO_CACHE ${RR_GUEST_CACHE}/go-cache)
else()
  set(RR_GO_CACHE ${CMAKE_BINARY_DIR}/go-cache)
endif()
file(GLOB_RECURSE RR_GO_SDK_SOURCES CONFIGURE_DEPENDS ${RR_SOURCE_DIR}/guest/go/*.go
     ${RR_SOURCE_DIR}/guest/go/*.mod)

function(rr_add_go_guest name dir)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${dir}/*.go ${dir}/go.mod)
  set(mode "")
  foreach(src ${sources})
    file(STRINGS ${src} marker REGEX "roadrunner-guest: reactor")
    if(marker)
      set(mode -buildmode=c-shared)
    endif()
  endforeach()
  set(out ${RR_GUEST_OUT}/${name}.wasm)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E env GOOS=wasip1 GOARCH=wasm GOCACHE=${RR_GO_CACHE}
            GOPATH=${CMAKE_BINARY_DIR}/go-path GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=mod
            ${RR_GO} build -trimpath ${mode} -o ${out} .
    WORKING_DIRECTORY ${dir}
    DEPENDS ${sources} ${RR_GO_SDK_SOURCES}
    COMMENT "go: ${name}.wasm"
    VERBATIM)
  add_custom_target(${name} ALL DEPENDS ${out})
endfunction()
