// Copyright sessionstore authors.
//
// Runs a libFuzzer target's LLVMFuzzerTestOneInput over the files named on
// the command line, and over every prefix of each, without libFuzzer: the
// fuzz targets build and replay their seeds with any compiler, in every test
// run (the fuzzing itself is scripts/fuzz.sh, with clang).

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", argv[i]);
      return 2;
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::size_t n = 0; n <= bytes.size(); ++n) {
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), n);
    }
    std::printf("%s: %zu prefixes replayed\n", argv[i], bytes.size() + 1);
  }
  return 0;
}
