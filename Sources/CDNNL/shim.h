// oneDNN's C API, from Debian's libdnnl-dev (oneDNN 2.6).
#include <oneapi/dnnl/dnnl.h>

// Swift has no prefetch intrinsic; the decode kernel (SkinnyMatmul.swift) needs one because the
// hardware prefetcher ramps up too late on its short weight-row streams (measured 13 -> 19 GB/s).
static inline void finch_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }
