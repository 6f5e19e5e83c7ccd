import Testing
@testable import TensorCore

@Suite struct TensorMemoryTests {
    @Test func blockSizesCoverTheRequestWithinAGranule() {
        var previous = 0
        for bytes in stride(from: TensorMemory.pooledFrom, through: 300 << 20, by: 999_983) {
            let size = TensorMemory.blockSize(bytes)
            #expect(size >= bytes && size <= bytes + bytes / 16 + 4096)
            #expect(size >= previous)
            #expect(size % 4096 == 0)
            previous = size
        }
    }

    @Test func freedBlocksServeEqualAndSomewhatSmallerRequests() {
        let pool = TensorMemory()
        let a = pool.allocate(bytes: 8 << 20)
        #expect(a.zeroed)
        pool.release(a.pointer, bytes: a.bytes)
        let same = pool.allocate(bytes: 8 << 20)
        #expect(same.pointer == a.pointer && !same.zeroed)
        pool.release(same.pointer, bytes: same.bytes)
        let smaller = pool.allocate(bytes: 6 << 20)
        #expect(smaller.pointer == a.pointer && smaller.bytes == a.bytes)
        pool.release(smaller.pointer, bytes: smaller.bytes)
        #expect(pool.freeBytes == a.bytes)
    }

    /// A request no free block fits grows the largest smaller free block: only the added bytes are new
    /// memory, and what the block held is still there.
    @Test func aMissGrowsTheLargestSmallerFreeBlock() {
        let pool = TensorMemory()
        let small = pool.allocate(bytes: 2 << 20), larger = pool.allocate(bytes: 8 << 20)
        larger.pointer.storeBytes(of: 42, toByteOffset: (8 << 20) - 8, as: Int.self)
        pool.release(small.pointer, bytes: small.bytes)
        pool.release(larger.pointer, bytes: larger.bytes)
        let faultedBefore = pool.faultedBytes
        let grown = pool.allocate(bytes: 20 << 20)
        #expect(!grown.zeroed && grown.bytes == TensorMemory.blockSize(20 << 20))
        #expect(pool.faultedBytes - faultedBefore == grown.bytes - larger.bytes)
        #expect(grown.pointer.load(fromByteOffset: (8 << 20) - 8, as: Int.self) == 42)
        grown.pointer.storeBytes(of: 7, toByteOffset: grown.bytes - 8, as: Int.self)  // the new tail is usable
        pool.release(grown.pointer, bytes: grown.bytes)
    }

    /// Free blocks are unmapped, smallest first, once the pool would hold more than 1/32 above the peak of
    /// live bytes; a fresh pool with nothing smaller free maps a new block.
    @Test func thePoolHoldsAtMostAThirtySecondAboveThePeakOfLiveBytes() {
        let pool = TensorMemory()
        let blocks = [1, 2, 3, 40].map { pool.allocate(bytes: $0 << 20) }
        #expect(blocks.allSatisfy { $0.zeroed })
        #expect(pool.peakLiveBytes == blocks.reduce(0) { $0 + $1.bytes })
        for b in blocks { pool.release(b.pointer, bytes: b.bytes) }
        // 64 MiB fits no free block and grows the 40 MiB one; the new peak of live bytes is 64 MiB, and the
        // 6 MiB still free would take the pool past 66 MiB, so they are unmapped.
        let big = pool.allocate(bytes: 64 << 20)
        #expect(!big.zeroed && pool.peakLiveBytes == big.bytes)
        #expect(pool.freeBytes == 0)
        let fresh = pool.allocate(bytes: 1 << 20)  // nothing free: mapped new
        #expect(fresh.zeroed)
        for b in [big, fresh] { pool.release(b.pointer, bytes: b.bytes) }
        #expect(pool.liveBytes == 0 && pool.freeBytes <= pool.peakLiveBytes + pool.peakLiveBytes / 32)
    }

    @Test func zeroTensorsOnRecycledBlocksAreZero() {
        let count = 3 << 18  // 3 MiB of floats
        do {
            let t = Tensor(shape: [count], repeating: 7)
            #expect(t.data[count - 1] == 7)
        }
        let z = Tensor(zeros: [count])
        #expect((0..<count).allSatisfy { z.data[$0] == 0 })
    }
}
