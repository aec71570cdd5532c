#include "heap_stats.h"
#include <stdlib.h> // defines __GLIBC__ under glibc

#if defined(__GLIBC__)
#include <malloc.h>

size_t wsb_heap_bytes_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd; // chunks in the arenas, and those mapped on their own
}
#else
size_t wsb_heap_bytes_in_use(void) {
    return 0;
}
#endif
