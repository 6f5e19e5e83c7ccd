import Foundation

/// 64-byte-aligned Float32 memory owned by one or more tensors (views share it).
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// Zero-filled storage; alignment suits AVX-512 loads and oneDNN's preferences.
    public init(count: Int) {
        precondition(count >= 0, "negative element count")
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// A contiguous row-major Float32 array with a shape.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let storage: TensorStorage
    /// Accumulated gradient, same shape; allocated by the first backward pass that reaches this tensor.
    public var grad: Tensor?
    public var requiresGrad: Bool

    public var count: Int { storage.count }
    public var data: UnsafeMutablePointer<Float> { storage.pointer }

    public init(zeros shape: [Int], requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = TensorStorage(count: shape.reduce(1, *))
        self.requiresGrad = requiresGrad
    }

    public convenience init(shape: [Int], values: [Float], requiresGrad: Bool = false) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        self.init(zeros: shape, requiresGrad: requiresGrad)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    public convenience init(shape: [Int], repeating value: Float, requiresGrad: Bool = false) {
        self.init(zeros: shape, requiresGrad: requiresGrad)
        data.update(repeating: value, count: count)
    }

    /// A tensor sharing this one's storage under another shape with the same element count.
    public init(viewing other: Tensor, as shape: [Int]) {
        precondition(shape.reduce(1, *) == other.count, "cannot view \(other.shape) as \(shape)")
        self.shape = shape
        self.storage = other.storage
        self.requiresGrad = false
    }

    public func toArray() -> [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }
}
