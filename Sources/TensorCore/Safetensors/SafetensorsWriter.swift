import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes Float32 tensors as a safetensors file that Python's `safetensors` and `transformers` read.
/// Tensors are laid out in byte order of their names (what Python's `safetensors` does for one dtype), so
/// the same tensors always give the same file. The header is built in memory (it is small); tensor bytes
/// go from tensor storage straight to the file. The file appears atomically: it is written under a
/// temporary name in the same directory, synced, then renamed.
public enum SafetensorsWriter {
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        try write(tensors.map { ($0.key, $0.value) }, metadata: metadata, to: url)
    }

    public static func write(_ parameters: [NamedParameter], metadata: [String: String] = [:], to url: URL) throws {
        try write(parameters.map { ($0.name, $0.tensor) }, metadata: metadata, to: url)
    }

    public static func write(_ tensors: [(String, Tensor)], metadata: [String: String] = [:], to url: URL) throws {
        let path = url.path
        var seen = Set<String>()
        for (name, _) in tensors {
            if name.isEmpty { throw SafetensorsError.invalidName(file: path, name: name, problem: "names must not be empty") }
            if name == "__metadata__" {
                throw SafetensorsError.invalidName(file: path, name: name, problem: "the name is reserved for the metadata map")
            }
            if !seen.insert(name).inserted { throw SafetensorsError.invalidName(file: path, name: name, problem: "the name appears twice") }
        }
        let ordered = tensors.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        let header = headerBytes(ordered, metadata: metadata)

        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw SafetensorsError.writeFailed(file: path, reason: String(cString: strerror(errno))) }
        var committed = false
        defer {
            if !committed { close(fd); unlink(temporary) }
        }
        var length = UInt64(header.count).littleEndian
        try withUnsafeBytes(of: &length) { try writeAll(fd, $0, path) }
        try header.withUnsafeBytes { try writeAll(fd, $0, path) }
        for (_, tensor) in ordered {
            #if _endian(little)
            try writeAll(fd, UnsafeRawBufferPointer(start: tensor.data, count: tensor.count * 4), path)
            #else
            let swapped = (0..<tensor.count).map { tensor.data[$0].bitPattern.littleEndian }
            try swapped.withUnsafeBytes { try writeAll(fd, $0, path) }
            #endif
        }
        guard fsync(fd) == 0 else { throw SafetensorsError.writeFailed(file: path, reason: String(cString: strerror(errno))) }
        guard close(fd) == 0 else {
            committed = true  // the descriptor is gone either way
            unlink(temporary)
            throw SafetensorsError.writeFailed(file: path, reason: String(cString: strerror(errno)))
        }
        committed = true
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SafetensorsError.writeFailed(file: path, reason: reason)
        }
    }

    /// `{"__metadata__":{…},"name":{"dtype":"F32","shape":[…],"data_offsets":[b,e]},…}` with keys in
    /// the order given, padded with spaces to a multiple of 8 bytes as Python's writer does, so tensor
    /// data starts 8-byte aligned.
    static func headerBytes(_ ordered: [(String, Tensor)], metadata: [String: String]) -> [UInt8] {
        var json = "{"
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { "\(quoted($0.key)):\(quoted($0.value))" }
            json += "\"__metadata__\":{\(pairs.joined(separator: ","))}"
        }
        var offset = 0
        for (name, tensor) in ordered {
            let end = offset + tensor.count * 4
            if json.count > 1 { json += "," }
            json += "\(quoted(name)):{\"dtype\":\"F32\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],"
                + "\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        json += "}"
        var bytes = Array(json.utf8)
        while bytes.count % 8 != 0 { bytes.append(UInt8(ascii: " ")) }
        return bytes
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, everything else verbatim UTF-8.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, _ path: String) throws {
        var done = 0
        while done < buffer.count {
            // Linux writes at most ~2 GB per call; smaller chunks keep the loop simple everywhere.
            let n = Glibc_write(fd, buffer.baseAddress! + done, min(buffer.count - done, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw SafetensorsError.writeFailed(file: path, reason: String(cString: strerror(errno)))
            }
            done += n
        }
    }
}

@inline(__always)
private func Glibc_write(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}
