// Copyright sessionstore authors.
//
// jemalloc's options for the command-line tool, and for its peer in the
// benchmarks (bench/raw_ingest: the same allocator on both sides of the
// ratio): jemalloc reads this symbol when it initializes. Compiled in only
// where jemalloc is linked (CMakeLists.txt, sessionstore_use_jemalloc); the
// library never sets an allocator's options for the programs that embed
// it.
//
// thp:always: jemalloc advises transparent huge pages (madvise) on the
// memory it maps, which a system whose THP mode is "madvise" (as on the
// development machine) grants; under "always" it changes little.
// The tool's large, short-lived buffers (write batches, memtable arenas,
// batches of parsed lines) then fault in 2 MiB at a time rather than
// 4 KiB. Measured on a 1M-line `sessionstore ingest`, three interleaved
// pairs: 10x fewer minor page faults, 7% less CPU, peak RSS 40-80 MB
// higher (bench/README.md, "Page faults"). Where THP is off ("never") it
// changes nothing. MALLOC_CONF in the environment is read after this and
// overrides it (MALLOC_CONF=thp:default restores jemalloc's default).

extern "C" {
// NOLINTNEXTLINE: the name and type jemalloc looks up.
const char* malloc_conf = "thp:always";
}
