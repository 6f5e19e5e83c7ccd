import CDNNL

/// Returns the memory of tensors freed so far to the operating system (glibc's `malloc_trim`).
///
/// A training step allocates and frees its whole activation footprint. glibc keeps freed blocks for reuse,
/// and since every batch has other shapes they never fit exactly, so the resident size crept up step after
/// step: gpt2-medium in fp32 (B=8, T≈70) peaked at 6,996 MiB over 12 steps of `finch bench train` while
/// its live tensors never exceeded 6,373 MiB. Trimming after every step brought the peak to 6,657 MiB, with
/// step times within the run-to-run noise (the freed blocks are mostly reused before the trim anyway).
public enum FreedMemory {
    public static func release() { finch_release_free_memory() }
}
