// CLI11's compiled part, built once: the roadrunner target defines CLI11_COMPILE, so the other
// files of src/cli include CLI11's declarations only, and each command's file builds in about
// half the time (it matters on a fresh machine's first `bin/roadrunner demo`).

#include <CLI/impl/App_inl.hpp>
#include <CLI/impl/Argv_inl.hpp>
#include <CLI/impl/Config_inl.hpp>
#include <CLI/impl/Encoding_inl.hpp>
#include <CLI/impl/Formatter_inl.hpp>
#include <CLI/impl/Option_inl.hpp>
#include <CLI/impl/Split_inl.hpp>
#include <CLI/impl/StringTools_inl.hpp>
#include <CLI/impl/Validators_inl.hpp>
