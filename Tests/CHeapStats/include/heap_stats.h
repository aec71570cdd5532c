#ifndef WSBRIDGE_HEAP_STATS_H
#define WSBRIDGE_HEAP_STATS_H
// The heap in use, for tests that bound what a structure costs in memory (glibc's mallinfo2,
// which Swift's Glibc module does not export). Test support only.
#include <stddef.h>

/// Bytes of heap in use by malloc's allocations (in every arena, and mapped on their own); 0 where glibc is not the allocator.
size_t wsb_heap_bytes_in_use(void);
#endif
