import Foundation
import CDNNL
#if canImport(Glibc)
import Glibc
#endif

/// Memory for tensors of 1 MiB and more: blocks mapped from the system and recycled between tensors, so
/// that a training step reuses the previous step's activation memory without malloc's fragmentation.
///
/// Why: a step allocates and frees its whole activation footprint, and every batch has other shapes. glibc
/// kept the freed blocks but could not fit the next step's sizes into them, so the resident size crept up
/// step after step (gpt2-medium, fp32, B=8, T≈70: 6,996 MiB after 12 steps of `finch bench train` while
/// live tensors never exceeded 6,373 MiB); trimming the heap after each step fixed that but cost 0.1 s of
/// a 0.8 s gpt2-small bf16 step in page faults.
///
/// How: sizes are rounded up to classes 1/16 of a power of two apart; a request takes the smallest free
/// block of its class or up to half again larger. On a miss, the largest smaller free block is grown with
/// mremap, which keeps its pages and faults in only the added tail; with no smaller block, a new one is
/// mapped. The memory held (live plus free blocks) may exceed the peak of live bytes by 1/32 at most: past
/// that, the smallest free blocks, the cheapest to fault in again, are unmapped. Untouched pages of a
/// block cost nothing resident.
///
/// Why not simply unmap free blocks on a miss: every batch has other lengths, so each step missed on
/// blocks slightly too small or more than half again too large, and unmapping the longest-idle blocks
/// threw away ones the same step needed next; gpt2-small bf16 steps faulted in 310–400 MiB each (8% of
/// the step in clearing pages). With growing and the 1/32 margin (chosen by replaying those steps'
/// allocations), most steps fault in under 15 MiB, and only a batch longer than any before faults in more;
/// gpt2-medium fp32's peak went from 6,388 to 6,489 MiB and its step from 2.8 to 2.6 s.
public final class TensorMemory: @unchecked Sendable {
    static let shared = TensorMemory()
    /// Smaller tensors come from malloc, which serves them well.
    static let pooledFrom = 1 << 20
    /// Blocks this large ask for transparent huge pages: one fault per 2 MiB instead of per 4 KiB.
    static let hugePagesFrom = 4 << 20

    private struct FreeBlock { let pointer: UnsafeMutableRawPointer; let bytes: Int }
    private let lock = NSLock()
    private var free: [Int: [FreeBlock]] = [:]
    /// Bytes of the free blocks held for reuse.
    private(set) var freeBytes = 0
    /// Bytes of the blocks handed out and not yet released, and their peak so far.
    private(set) var liveBytes = 0, peakLiveBytes = 0
    /// Bytes newly mapped or added by growing a block, so far: memory that page-faulted in.
    private(set) var faultedBytes = 0

    /// Bytes of tensor memory that were new to the process so far (`FINCH_PROFILE` reports it per step).
    public static var faultedBytes: Int {
        shared.lock.lock()
        defer { shared.lock.unlock() }
        return shared.faultedBytes
    }

    /// Memory for `bytes` aligned to 64: a recycled block from 1 MiB on, else malloc. `blockBytes` (0 for
    /// malloc) goes back to `free`. With `zeroed`, the memory reads as zeros.
    static func allocate(bytes: Int, zeroed: Bool) -> (pointer: UnsafeMutableRawPointer, blockBytes: Int) {
        guard bytes >= pooledFrom else {
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
            if zeroed { p.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) }
            return (p, 0)
        }
        let block = shared.allocate(bytes: bytes)
        if zeroed && !block.zeroed { block.pointer.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) }
        return (block.pointer, block.bytes)
    }

    /// Gives back memory from `allocate(bytes:zeroed:)`.
    static func free(_ pointer: UnsafeMutableRawPointer, blockBytes: Int) {
        if blockBytes > 0 { shared.release(pointer, bytes: blockBytes) } else { pointer.deallocate() }
    }

    /// The block size a request of `bytes` (at least `pooledFrom`) gets.
    static func blockSize(_ bytes: Int) -> Int {
        let power = 1 << (Int.bitWidth - 1 - bytes.leadingZeroBitCount)
        let granule = max(power / 16, 4096)
        return (bytes + granule - 1) / granule * granule
    }

    /// A block of at least `bytes`, its size (to hand back to `release`), and whether it is newly mapped
    /// (then it reads as zeros).
    func allocate(bytes: Int) -> (pointer: UnsafeMutableRawPointer, bytes: Int, zeroed: Bool) {
        let size = Self.blockSize(bytes)
        lock.lock()
        if let fit = free.keys.lazy.filter({ $0 >= size && $0 <= size + size / 2 }).min() {
            let block = take(fit)
            handOut(block.bytes)
            lock.unlock()
            return (block.pointer, block.bytes, false)
        }
        let grown = free.keys.lazy.filter({ $0 < size }).max().map(take)
        handOut(size)
        faultedBytes += size - (grown?.bytes ?? 0)
        var unmapping: [FreeBlock] = []
        let allowed = peakLiveBytes + peakLiveBytes / 32
        while liveBytes + freeBytes > allowed, let smallest = free.keys.min() { unmapping.append(take(smallest)) }
        lock.unlock()
        for block in unmapping { munmap(block.pointer, block.bytes) }
        let p: UnsafeMutableRawPointer
        if let grown {
            guard let moved = finch_mremap_grow(grown.pointer, grown.bytes, size), moved != MAP_FAILED else {
                fatalError("out of memory: could not grow a tensor block to \(size) bytes (\(String(cString: strerror(errno))))")
            }
            p = moved
        } else {
            guard let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapped != MAP_FAILED else {
                fatalError("out of memory: could not map \(size) bytes for a tensor (\(String(cString: strerror(errno))))")
            }
            p = mapped
        }
        if size >= Self.hugePagesFrom { _ = madvise(p, size, MADV_HUGEPAGE) }
        return (p, size, grown == nil)
    }

    /// Counts `bytes` as live (the caller holds the lock).
    private func handOut(_ bytes: Int) {
        liveBytes += bytes
        peakLiveBytes = max(peakLiveBytes, liveBytes)
    }

    /// Removes one free block of exactly `bytes` from the pool (the caller holds the lock).
    private func take(_ bytes: Int) -> FreeBlock {
        let block = free[bytes]!.removeLast()
        if free[bytes]!.isEmpty { free[bytes] = nil }
        freeBytes -= block.bytes
        return block
    }

    /// Takes back a block from `allocate` for reuse.
    func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        lock.lock()
        free[bytes, default: []].append(FreeBlock(pointer: pointer, bytes: bytes))
        freeBytes += bytes
        liveBytes -= bytes
        lock.unlock()
    }
}
