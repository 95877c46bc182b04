# Third-party libraries, all from Debian 13 packages (scripts/packages.txt).
find_package(Threads REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(OpenSSL REQUIRED)

# WasmEdge 0.14 ships neither a CMake package nor a .pc file on Debian; find it by hand.
find_path(WASMEDGE_INCLUDE_DIR wasmedge/wasmedge.h REQUIRED)
find_library(WASMEDGE_LIBRARY wasmedge REQUIRED)
file(STRINGS ${WASMEDGE_INCLUDE_DIR}/wasmedge/version.h _rr_wasmedge_version
     REGEX "#define WASMEDGE_VERSION \"")
string(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" RR_WASMEDGE_VERSION "${_rr_wasmedge_version}")
if(RR_WASMEDGE_VERSION VERSION_LESS 0.14)
  message(FATAL_ERROR "WasmEdge >= 0.14 is required, found ${RR_WASMEDGE_VERSION}")
endif()
add_library(WasmEdge::wasmedge UNKNOWN IMPORTED)
set_target_properties(WasmEdge::wasmedge PROPERTIES IMPORTED_LOCATION ${WASMEDGE_LIBRARY}
                      INTERFACE_INCLUDE_DIRECTORIES ${WASMEDGE_INCLUDE_DIR})

if(RR_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()

# Benchmark baselines: cpp-httplib and hiredis (pkg-config files from Debian).
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
