// oneDNN's C API, from Debian's libdnnl-dev (oneDNN 2.6).
#include <oneapi/dnnl/dnnl.h>

// Swift has no prefetch intrinsic; the decode kernel (SkinnyMatmul.swift) needs one because the
// hardware prefetcher ramps up too late on its short weight-row streams (measured 13 -> 19 GB/s).
static inline void finch_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

// Swift cannot call variadic C functions such as Linux's mremap. Growing a recycled tensor block this way
// keeps the pages it has already faulted in; only the added tail is new (see TensorMemory.swift).
#if defined(__linux__)
#include <stddef.h>
extern void *mremap(void *old_address, size_t old_size, size_t new_size, int flags, ...);
static inline void *finch_mremap_grow(void *address, size_t old_size, size_t new_size) {
    return mremap(address, old_size, new_size, 1 /* MREMAP_MAYMOVE */);
}
#endif
