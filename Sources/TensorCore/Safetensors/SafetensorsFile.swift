import Foundation

/// A safetensors file opened for reading: the file is memory-mapped and its header validated up front;
/// tensors are converted to Float32 on request, straight from the mapping into new tensor storage.
public final class SafetensorsFile {
    public let url: URL
    public let metadata: [String: String]
    /// Entries in data order (the order they are stored in the file).
    public let entries: [SafetensorsEntry]
    public var names: [String] { entries.map(\.name) }

    private let map: MappedFile
    private let dataStart: Int
    private let index: [String: Int]

    public init(url: URL) throws {
        self.url = url
        let path = url.path
        map = try MappedFile(path: path)
        let bytes = map.bytes
        guard bytes.count >= 8 else { throw SafetensorsError.truncated(file: path, size: bytes.count) }
        let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(bytes.count - 8) else {
            if headerLength > SafetensorsHeader.maxHeaderLength {
                throw SafetensorsError.headerTooLarge(file: path, headerLength: headerLength)
            }
            throw SafetensorsError.headerBeyondFile(file: path, headerLength: headerLength, fileSize: bytes.count)
        }
        guard headerLength <= SafetensorsHeader.maxHeaderLength else {
            throw SafetensorsError.headerTooLarge(file: path, headerLength: headerLength)
        }
        dataStart = 8 + Int(headerLength)
        let header = UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart])
        (entries, metadata) = try SafetensorsHeader.parse(path, header: header, dataSize: bytes.count - dataStart)
        var index: [String: Int] = [:]
        for (i, e) in entries.enumerated() { index[e.name] = i }
        self.index = index
    }

    public func entry(_ name: String) throws -> SafetensorsEntry {
        guard let i = index[name] else {
            throw SafetensorsError.tensorNotFound(file: url.path, tensor: name, available: names.sorted())
        }
        return entries[i]
    }

    /// A new tensor holding `name` converted to Float32.
    public func tensor(_ name: String, requiresGrad: Bool = false) throws -> Tensor {
        let e = try entry(name)
        let t = Tensor(zeros: e.shape, requiresGrad: requiresGrad)
        convert(e, into: t.data)
        return t
    }

    /// Converts `name` into an existing tensor of the same shape (loading pretrained weights in place).
    public func read(_ name: String, into tensor: Tensor) throws {
        let e = try entry(name)
        guard e.shape == tensor.shape else {
            throw SafetensorsError.shapeMismatch(file: url.path, tensor: name, found: e.shape, expected: tensor.shape)
        }
        convert(e, into: tensor.data)
    }

    /// Every tensor, by name.
    public func readAll() throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for e in entries { out[e.name] = try tensor(e.name) }
        return out
    }

    /// The header guaranteed `byteRange` lies inside the mapping and matches the element count.
    private func convert(_ e: SafetensorsEntry, into destination: UnsafeMutablePointer<Float>) {
        let source = map.bytes.baseAddress! + dataStart + e.byteRange.lowerBound
        let count = e.byteRange.count / e.dtype.byteSize
        switch e.dtype {
        case .f32:
            #if _endian(little)
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: e.byteRange.count)
            #else
            for i in 0..<count {
                destination[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
            #endif
        case .f16:
            for i in 0..<count {
                destination[i] = HalfPrecision.float(fromF16: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .bf16:
            for i in 0..<count {
                destination[i] = HalfPrecision.float(fromBF16: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        }
    }
}
