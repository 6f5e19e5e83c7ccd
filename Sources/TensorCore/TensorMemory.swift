import Foundation
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
/// block of its class or up to half again larger. On a miss, free blocks that have waited longest are
/// unmapped first, as many bytes as the new block needs, so the memory held (live plus free blocks)
/// grows only when live tensors do. Untouched pages of a block cost nothing resident.
final class TensorMemory: @unchecked Sendable {
    static let shared = TensorMemory()
    /// Smaller tensors come from malloc, which serves them well.
    static let pooledFrom = 1 << 20
    /// Blocks this large ask for transparent huge pages: one fault per 2 MiB instead of per 4 KiB.
    static let hugePagesFrom = 4 << 20

    private struct FreeBlock { let pointer: UnsafeMutableRawPointer; let bytes: Int; let freedAt: UInt64 }
    private let lock = NSLock()
    private var free: [Int: [FreeBlock]] = [:]
    private var clock: UInt64 = 0
    /// Bytes of the free blocks held for reuse.
    private(set) var freeBytes = 0

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
        if let fit = free.keys.lazy.filter({ $0 >= size && $0 <= size + size / 2 }).min(), var blocks = free[fit],
           let block = blocks.popLast() {
            free[fit] = blocks.isEmpty ? nil : blocks
            freeBytes -= block.bytes
            lock.unlock()
            return (block.pointer, block.bytes, false)
        }
        var unmapping: [FreeBlock] = []
        if freeBytes > 0 {
            var released = 0
            for block in free.values.joined().sorted(by: { $0.freedAt < $1.freedAt }) where released < size {
                unmapping.append(block)
                released += block.bytes
            }
            for block in unmapping {
                free[block.bytes]?.removeAll { $0.pointer == block.pointer }
                if free[block.bytes]?.isEmpty == true { free[block.bytes] = nil }
                freeBytes -= block.bytes
            }
        }
        lock.unlock()
        for block in unmapping { munmap(block.pointer, block.bytes) }
        guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
            fatalError("out of memory: could not map \(size) bytes for a tensor (\(String(cString: strerror(errno))))")
        }
        if size >= Self.hugePagesFrom { _ = madvise(p, size, MADV_HUGEPAGE) }
        return (p, size, true)
    }

    /// Takes back a block from `allocate` for reuse.
    func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        lock.lock()
        clock += 1
        free[bytes, default: []].append(FreeBlock(pointer: pointer, bytes: bytes, freedAt: clock))
        freeBytes += bytes
        lock.unlock()
    }
}
