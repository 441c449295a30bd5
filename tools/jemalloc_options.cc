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
// changes nothing.
//
// oversize_threshold:0, dirty_decay_ms:30000: freed pages are kept for
// reuse rather than handed back to the kernel and faulted (and zeroed)
// again. By default jemalloc serves requests of 8 MiB and more (large
// write batches and buffers) from an arena that returns them at once, and
// keeps other freed pages (the memtables' 1 MiB arena blocks among them)
// about 10 s. Measured (bench/README.md, "Allocator decay; level 0 by
// size"): on a 1M-line ingest, minor page faults 47-52K -> 13-18K and
// 4.8% less CPU (means of 3 and 6 runs), peak RSS +100 MB; at 10M lines 449 s CPU against 467 and
// 489, peak RSS 1.99 GB against 1.70 and 1.82. raw_ingest unchanged by it.
// The memory kept is bounded by what the process freed in the last 30 s.
//
// MALLOC_CONF in the environment is read after this and overrides it
// (MALLOC_CONF=thp:default,oversize_threshold:8388608,dirty_decay_ms:10000
// restores jemalloc's defaults).

extern "C" {
// NOLINTNEXTLINE: the name and type jemalloc looks up.
const char* malloc_conf = "thp:always,oversize_threshold:0,dirty_decay_ms:30000";
}
