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

    /// A request no free block fits unmaps the longest-waiting free blocks first, so what the pool holds
    /// does not grow while it has memory to give back.
    @Test func aMissGivesBackTheOldestFreeBlocks() {
        let pool = TensorMemory()
        let old = pool.allocate(bytes: 2 << 20), recent = pool.allocate(bytes: 16 << 20)
        pool.release(old.pointer, bytes: old.bytes)
        pool.release(recent.pointer, bytes: recent.bytes)
        let tiny = pool.allocate(bytes: 1 << 20)  // fits neither: 2 MiB is more than half again as large
        #expect(pool.freeBytes == recent.bytes)
        let big = pool.allocate(bytes: 64 << 20)
        #expect(pool.freeBytes == 0)
        pool.release(tiny.pointer, bytes: tiny.bytes)
        pool.release(big.pointer, bytes: big.bytes)
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
