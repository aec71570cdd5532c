// Where a process's live heap memory was allocated, by call stack: an LD_PRELOAD library for glibc
// (heaptrack-like, for machines without it). Every malloc/calloc/realloc/memalign records the stack
// of its caller (12 frames); free forgets it. Creating $ALLOCSITES_DIR/trigger makes a thread write the
// live allocations grouped by stack to $ALLOCSITES_DIR/dump.<n>.txt, one line a stack:
//   site HASH COUNT USABLE_BYTES MODULE+OFFSET...
// bench/allocsites/profile.sh takes two dumps around a held load and bench/allocsites/report.py tells
// what was added per connection. Slow (a backtrace per allocation) and large (its tables take about
// 300 MB): for profiles, never for measurements.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

#define DEPTH 12
#define SITES (1 << 18)
#define PTRS (1 << 24)

typedef struct { uint64_t hash; void *frames[DEPTH]; int n; long count; long bytes; } site_t;
typedef struct { void *ptr; uint32_t site; } slot_t;

static site_t *sites;
static slot_t *ptrs;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int busy;
static volatile int ready;
static volatile int dumps;

static uint64_t mix(uint64_t x) { x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; return x; }

static uint32_t site_for(void **frames, int n) {
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < n; i++) h = mix(h ^ (uint64_t)frames[i]);
    uint32_t i = h & (SITES - 1);
    for (;;) {
        if (sites[i].hash == h) return i;
        if (sites[i].hash == 0) {
            sites[i].hash = h;
            memcpy(sites[i].frames, frames, sizeof(void *) * n);
            sites[i].n = n;
            return i;
        }
        i = (i + 1) & (SITES - 1);
    }
}

static void put(void *p, uint32_t site) {
    uint32_t i = mix((uint64_t)p) & (PTRS - 1);
    while (ptrs[i].ptr && ptrs[i].ptr != (void *)1) i = (i + 1) & (PTRS - 1);
    ptrs[i].ptr = p;
    ptrs[i].site = site;
}

static long take(void *p) {
    uint32_t i = mix((uint64_t)p) & (PTRS - 1);
    while (ptrs[i].ptr) {
        if (ptrs[i].ptr == p) { ptrs[i].ptr = (void *)1; return ptrs[i].site; }
        i = (i + 1) & (PTRS - 1);
    }
    return -1;
}

static void record(void *p) {
    if (!p || !ready || busy) return;
    busy = 1;
    void *frames[DEPTH + 2];
    int n = backtrace(frames, DEPTH + 2) - 2;
    if (n < 0) n = 0;
    size_t size = malloc_usable_size(p);
    pthread_mutex_lock(&lock);
    uint32_t s = site_for(frames + 2, n);
    sites[s].count++;
    sites[s].bytes += size;
    put(p, s);
    pthread_mutex_unlock(&lock);
    busy = 0;
}

static void forget(void *p) {
    if (!p || !ready) return;
    size_t size = malloc_usable_size(p);
    pthread_mutex_lock(&lock);
    long s = take(p);
    if (s >= 0) { sites[s].count--; sites[s].bytes -= size; }
    pthread_mutex_unlock(&lock);
}

static void dump(void) {
    char path[512];
    const char *dir = getenv("ALLOCSITES_DIR");
    snprintf(path, sizeof path, "%s/dump.%d.txt", dir ? dir : "/tmp", (int)dumps);
    busy = 1;
    FILE *f = fopen(path, "w");
    pthread_mutex_lock(&lock);
    for (int i = 0; i < SITES; i++) {
        if (!sites[i].hash || sites[i].count == 0) continue;
        fprintf(f, "site %llx %ld %ld", (unsigned long long)sites[i].hash, sites[i].count, sites[i].bytes);
        for (int k = 0; k < sites[i].n; k++) {
            Dl_info info;
            if (dladdr(sites[i].frames[k], &info) && info.dli_fname)
                fprintf(f, " %s+%lx", info.dli_fname, (unsigned long)((char *)sites[i].frames[k] - (char *)info.dli_fbase - 1));
            else
                fprintf(f, " ?+%lx", (unsigned long)sites[i].frames[k]);
        }
        fprintf(f, "\n");
    }
    pthread_mutex_unlock(&lock);
    fclose(f);
    busy = 0;
}

static void *dumper(void *arg) {
    char trigger[512];
    const char *dir = getenv("ALLOCSITES_DIR");
    snprintf(trigger, sizeof trigger, "%s/trigger", dir ? dir : "/tmp");
    for (;;) {
        usleep(100000);
        if (unlink(trigger) == 0) {
            dumps++;
            dump();
        }
    }
    return arg;
}

__attribute__((constructor)) static void init(void) {
    busy = 1;
    sites = __libc_calloc(SITES, sizeof(site_t));
    ptrs = __libc_calloc(PTRS, sizeof(slot_t));
    void *warm[4];
    backtrace(warm, 4);
    pthread_t t;
    pthread_create(&t, NULL, dumper, NULL);
    busy = 0;
    ready = 1;
}

void *malloc(size_t n) { void *p = __libc_malloc(n); record(p); return p; }
void free(void *p) { forget(p); __libc_free(p); }
void *calloc(size_t a, size_t b) { void *p = __libc_calloc(a, b); record(p); return p; }
void *realloc(void *old, size_t n) {
    forget(old);
    void *p = __libc_realloc(old, n);
    record(p);
    return p;
}
void *memalign(size_t a, size_t n) { void *p = __libc_memalign(a, n); record(p); return p; }
void *aligned_alloc(size_t a, size_t n) { return memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    void *p = __libc_memalign(a, n);
    if (!p) return 12;
    record(p);
    *out = p;
    return 0;
}
