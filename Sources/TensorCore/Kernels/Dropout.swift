/// Inverted dropout: keep each element with probability 1-p and scale kept ones by 1/(1-p).
///
/// The mask is a pure function of (rng, element index): element i uses stream `rng.fork(i / 4096)`,
/// drawing one Float per element in order. So the mask is the same for any thread count, costs no
/// memory (backward regenerates it from the saved 4-word RNG state), and a given seed reproduces it bit
/// for bit.
public enum DropoutKernel {
    public static let chunk = 4096

    /// inp [n] -> out [n]
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count n: Int,
                               probability p: Float, rng: RNG) {
        apply(out, inp, n, p, rng, accumulate: false)
    }

    /// dout [n] -> dinp [n] += mask · dout / (1-p)
    public static func backward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, count n: Int,
                                probability p: Float, rng: RNG) {
        apply(dinp, dout, n, p, rng, accumulate: true)
    }

    private static func apply(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int, _ p: Float,
                              _ rng: RNG, accumulate: Bool) {
        let scale = 1 / (1 - p)
        let chunks = (n + chunk - 1) / chunk
        Parallel.forRanges(chunks, costPerItem: chunk * 4) { r in
            for c in r {
                var stream = rng.fork(UInt64(c))
                for i in (c * chunk)..<min(n, (c + 1) * chunk) {
                    let v = stream.nextFloat() >= p ? src[i] * scale : 0
                    if accumulate { dst[i] += v } else { dst[i] = v }
                }
            }
        }
    }
}
