# rr_add_library(NAME SOURCES...)   -> target rr_NAME, alias rr::NAME
# rr_add_executable(NAME SOURCES...)
# rr_add_test(NAME SOURCES... LIBS ...) -> one GoogleTest binary per module, registered with CTest
# Warnings and sanitizers apply to our targets only, never to third-party code.

set(RR_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
    -Wno-missing-field-initializers)  # designated initializers leave defaulted fields out

function(rr_apply_flags target)
  target_compile_options(${target} PRIVATE ${RR_WARNINGS})
  if(RR_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(RR_SANITIZE)
    # Every finding is fatal. The vptr check stays off: GCC's UBSan runtime starts at its first
    # finding, reading its options and suppressions then, and its vptr check probes memory
    # through a pipe; in a process with no free descriptor (a case the tests create on purpose)
    # it reports objects as invalid that are not, and nothing can silence it.
    target_compile_options(${target} PRIVATE -fsanitize=${RR_SANITIZE} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    if(RR_SANITIZE MATCHES "undefined")
      target_compile_options(${target} PRIVATE -fno-sanitize=vptr)
    endif()
    target_link_options(${target} PRIVATE -fsanitize=${RR_SANITIZE})
  endif()
endfunction()

function(rr_add_library name)
  add_library(rr_${name} STATIC ${ARGN})
  add_library(rr::${name} ALIAS rr_${name})
  target_include_directories(rr_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include
                                               ${PROJECT_SOURCE_DIR}/guest/include)
  rr_apply_flags(rr_${name})
endfunction()

function(rr_add_executable name)
  add_executable(${name} ${ARGN})
  rr_apply_flags(${name})
endfunction()

function(rr_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name}_test ${T_SOURCES})
  rr_apply_flags(${name}_test)
  target_link_libraries(${name}_test PRIVATE ${T_LIBS} rr_test_main GTest::gtest GTest::gmock)
  target_compile_definitions(${name}_test PRIVATE ${RR_GUEST_DEFINITIONS}
    RR_BINARY_DIR="${PROJECT_BINARY_DIR}" RR_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  if(TARGET rr_guests)
    add_dependencies(${name}_test rr_guests)
  endif()
  gtest_discover_tests(${name}_test DISCOVERY_MODE PRE_TEST PROPERTIES LABELS "${T_LABELS}")
endfunction()
