// oneDNN's C API, from Debian's libdnnl-dev (oneDNN 2.6).
#include <oneapi/dnnl/dnnl.h>

// Swift has no prefetch intrinsic; the decode kernel (SkinnyMatmul.swift) needs one because the
// hardware prefetcher ramps up too late on its short weight-row streams (measured 13 -> 19 GB/s).
static inline void finch_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

// glibc keeps the memory of freed tensors mapped for reuse, and a training step frees about its whole
// activation footprint; without handing it back, shapes that change from batch to batch leave it
// fragmented and the resident size creeps up step after step (FreedMemory.swift has the figures).
#if defined(__GLIBC__)
#include <malloc.h>
static inline void finch_release_free_memory(void) { malloc_trim(0); }
#else
static inline void finch_release_free_memory(void) {}
#endif
