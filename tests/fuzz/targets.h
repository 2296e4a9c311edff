#pragma once
// The fuzz targets: one function per input format that dptrain reads from users. Each takes
// arbitrary bytes and must either accept them or reject them with a dpt::Error (ConfigError,
// DataError); anything else (another exception, a crash, a sanitizer report, a failed
// round-trip check) is a finding. They are built twice:
//   - as libFuzzer programs (fuzz_main.cc, clang, -fsanitize=fuzzer,address,undefined) by
//     tests/fuzz/CMakeLists.txt, a project of its own that compiles only the sources they need;
//   - into the unit test `fuzz_replay` (the main build), which runs every committed seed and
//     regression input through them, so a fixed crash stays fixed without clang.
#include <cstddef>
#include <cstdint>

namespace dpt::fuzz {

// Command line + INI file of `dptrain train`: the bytes before the first NUL are arguments,
// one per line; the bytes after it (if any) are the --config file.
void config_input(const uint8_t* data, size_t size);
// An IDX file (plain or gzip) as `dptrain prepare idx` reads it.
void idx_input(const uint8_t* data, size_t size);
// A manifest.json as every command that opens a dataset split reads it.
void manifest_input(const uint8_t* data, size_t size);
// A WordPiece vocab.txt (the bytes before the first NUL) and text to tokenize (after it) with a
// small fixed vocabulary and with that vocab.txt when it is accepted.
void text_input(const uint8_t* data, size_t size);

// Throws when a target's own consistency check fails (a finding, not a rejected input).
[[noreturn]] void finding(const char* target, const char* what);

}  // namespace dpt::fuzz
