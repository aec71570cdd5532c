#ifndef WSBRIDGE_CZLIB_SHIM_H
#define WSBRIDGE_CZLIB_SHIM_H
// zlib as the DEFLATE codec of permessage-deflate (RFC 7692): raw deflate streams, no zlib header.
// deflateInit2 and inflateInit2 are macros, which Swift cannot call: these wrappers can.
#include <zlib.h>

static inline int wsb_deflate_init(z_stream *stream, int level, int window_bits, int mem_level) {
    return deflateInit2(stream, level, Z_DEFLATED, -window_bits, mem_level, Z_DEFAULT_STRATEGY);
}

static inline int wsb_inflate_init(z_stream *stream, int window_bits) {
    return inflateInit2(stream, -window_bits);
}
#endif
