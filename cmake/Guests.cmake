# Wasm guests (tests/guests, examples) build with their own toolchain in a nested project.
# Each guest's path reaches host tests as a compile definition RR_GUEST_<NAME>="...".
include(ExternalProject)
set(RR_GUEST_DIR ${PROJECT_BINARY_DIR}/guests)
# Cargo's target directory and Go's build cache, shared by every preset's guest build: the
# guests do not depend on how the host is built, and each preset compiling the Rust crates and
# Go's runtime again cost a minute and a half of CPU. Both tools lock what they share.
set(RR_GUEST_CACHE ${PROJECT_SOURCE_DIR}/build/guest-cache)
set(RR_GUEST_DEFINITIONS "")
# The test suite's C guests: with the tests, and for the fuzzers (guest_abi runs one).
if(RR_BUILD_TESTS OR RR_BUILD_FUZZERS)
  set(_rr_test_guests ON)
else()
  set(_rr_test_guests OFF)
endif()
if(RR_BUILD_GUESTS)
  # Two targets over one nested build: rr_example_guests builds the examples alone (its build
  # step: what `roadrunner demo` and `up` run, so a first demo waits for nothing else), and
  # rr_guests every guest (a step after it: the benchmark's and the tests').
  ExternalProject_Add(rr_guests
    SOURCE_DIR ${PROJECT_SOURCE_DIR}/guest
    BINARY_DIR ${PROJECT_BINARY_DIR}/guest-build
    CMAKE_ARGS -G Ninja
               -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/wasm32-wasi.toolchain.cmake
               -DCMAKE_BUILD_TYPE=Release
               -DRR_SOURCE_DIR=${PROJECT_SOURCE_DIR}
               -DRR_GUEST_OUT=${RR_GUEST_DIR}
               -DRR_GUEST_CACHE=${RR_GUEST_CACHE}
               -DRR_BUILD_TESTS=${RR_BUILD_TESTS}
               -DRR_BUILD_TEST_GUESTS=${_rr_test_guests}
    BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> --target rr_examples
    BUILD_ALWAYS OFF
    INSTALL_COMMAND ""
    USES_TERMINAL_BUILD ON)
  # Rebuild the guests when any of their sources or SDK headers change.
  file(GLOB_RECURSE _rr_guest_inputs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/guest/*
       ${PROJECT_SOURCE_DIR}/tests/guests/* ${PROJECT_SOURCE_DIR}/examples/*
       ${PROJECT_SOURCE_DIR}/bench/guests/*)
  ExternalProject_Add_StepDependencies(rr_guests configure ${_rr_guest_inputs})
  ExternalProject_Add_StepDependencies(rr_guests build ${_rr_guest_inputs})
  ExternalProject_Add_Step(rr_guests everything
    COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR>
    DEPENDEES build
    DEPENDERS install
    DEPENDS ${_rr_guest_inputs}
    USES_TERMINAL TRUE)
  # After the build step's file dependencies: a step target's dependencies must be targets.
  ExternalProject_Add_StepTargets(rr_guests build)
  add_custom_target(rr_example_guests)
  add_dependencies(rr_example_guests rr_guests-build)
  file(GLOB _rr_guest_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/guests/*.c
       ${PROJECT_SOURCE_DIR}/tests/guests/*.cc)
  foreach(src ${_rr_guest_sources})
    get_filename_component(name ${src} NAME_WE)
    string(TOUPPER ${name} upper)
    list(APPEND RR_GUEST_DEFINITIONS RR_GUEST_${upper}="${RR_GUEST_DIR}/${name}.wasm")
  endforeach()
  # Rust and Go test guests: one crate or Go module per directory, tests/guests/rust/DIR and
  # tests/guests/go/DIR, reach the tests as RR_GUEST_RUST_DIR and RR_GUEST_GO_DIR.
  foreach(lang rust go)
    file(GLOB _rr_dirs CONFIGURE_DEPENDS LIST_DIRECTORIES true
         ${PROJECT_SOURCE_DIR}/tests/guests/${lang}/*)
    foreach(dir ${_rr_dirs})
      if(IS_DIRECTORY ${dir})
        get_filename_component(name ${dir} NAME)
        string(TOUPPER ${lang}_${name} upper)
        list(APPEND RR_GUEST_DEFINITIONS RR_GUEST_${upper}="${RR_GUEST_DIR}/${lang}_${name}.wasm")
      endif()
    endforeach()
  endforeach()
endif()
