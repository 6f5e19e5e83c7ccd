/// Element-wise kernels behind add/mul/scale, residual adds, bias adds and gradient accumulation.
/// Broadcasting is "suffix" broadcasting only — b's shape is a trailing part of a's shape, so b
/// repeats over a's leading rows (bias over rows, positional embedding over the batch) — which is
/// all GPT-2 needs and keeps every kernel a flat loop.
public enum AddKernel {
    /// dst[n] += src[n]
    @inline(__always)
    public static func accumulate(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
        Parallel.forRanges(n) { r in
            for i in r { dst[i] += src[i] }
        }
    }

    /// out[rows, cols] = a[rows, cols] + b[cols] (b repeated over rows; rows = 1 is a plain add of equal shapes)
    public static func forward(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                               rows: Int, cols: Int) {
        Parallel.forRanges(rows, costPerItem: cols) { r in
            for row in r {
                let o = out + row * cols, x = a + row * cols
                for j in 0..<cols { o[j] = x[j] + b[j] }
            }
        }
    }

    /// db[cols] += Σ_rows dout[rows, cols]. Split over columns so each sum runs over rows in order
    /// whatever the thread count.
    public static func sumRows(into db: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, rows: Int, cols: Int) {
        Parallel.forRanges(cols, costPerItem: rows) { c in
            for row in 0..<rows {
                let g = dout + row * cols
                for j in c { db[j] += g[j] }
            }
        }
    }
}

public enum MulKernel {
    /// out[rows, cols] = a[rows, cols] * b[cols]
    public static func forward(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                               rows: Int, cols: Int) {
        Parallel.forRanges(rows, costPerItem: cols) { r in
            for row in r {
                let o = out + row * cols, x = a + row * cols
                for j in 0..<cols { o[j] = x[j] * b[j] }
            }
        }
    }

    /// da[rows, cols] += dout * b[cols]
    public static func backwardA(_ da: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                 rows: Int, cols: Int) {
        Parallel.forRanges(rows, costPerItem: cols) { r in
            for row in r {
                let d = da + row * cols, g = dout + row * cols
                for j in 0..<cols { d[j] += g[j] * b[j] }
            }
        }
    }

    /// db[cols] += Σ_rows dout[rows, cols] * a[rows, cols] (column split, rows in order)
    public static func backwardB(_ db: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ a: UnsafePointer<Float>,
                                 rows: Int, cols: Int) {
        Parallel.forRanges(cols, costPerItem: rows) { c in
            for row in 0..<rows {
                let g = dout + row * cols, x = a + row * cols
                for j in c { db[j] += g[j] * x[j] }
            }
        }
    }
}

public enum ScaleKernel {
    /// out[n] = s * a[n]
    public static func forward(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ s: Float, _ n: Int) {
        Parallel.forRanges(n) { r in for i in r { out[i] = s * a[i] } }
    }

    /// da[n] += s * dout[n]
    public static func backward(_ da: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ s: Float, _ n: Int) {
        Parallel.forRanges(n) { r in for i in r { da[i] += s * dout[i] } }
    }
}
