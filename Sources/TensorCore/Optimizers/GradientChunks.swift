/// The fixed chunks optimizers walk gradients in: 64K elements (256 KB, which stays in L2 while a chunk is
/// summed, updated and zeroed), independent of the worker count so that sums over chunks come out the same
/// for any number of threads. Starts are multiples of the lane width, so every chunk keeps full-width loads.
enum GradientChunks {
    static let size = 1 << 16

    static func count(_ elements: Int) -> Int { (elements + size - 1) / size }

    /// Calls `body(chunk, start, count)` for every chunk of 0..<elements, on `Parallel`'s workers when
    /// there are several chunks.
    static func forEach(_ elements: Int, _ body: (Int, Int, Int) -> Void) {
        Parallel.forRanges(count(elements), costPerItem: size, minimumWork: 2 * size) { r in
            for c in r { body(c, c * size, min(size, elements - c * size)) }
        }
    }
}
