import Foundation

/// What is wrong with a safetensors file (or a write), always naming the file.
public enum SafetensorsError: LocalizedError, Equatable {
    case cannotOpen(file: String, reason: String)
    case truncated(file: String, size: Int)
    case headerBeyondFile(file: String, headerLength: UInt64, fileSize: Int)
    case headerTooLarge(file: String, headerLength: UInt64)
    case headerNotJSON(file: String, reason: String)
    case invalidEntry(file: String, tensor: String, problem: String)
    case unknownDType(file: String, tensor: String, dtype: String)
    case unsupportedDType(file: String, tensor: String, dtype: String)
    case sizeMismatch(file: String, tensor: String, dtype: String, shape: [Int], expectedBytes: Int, actualBytes: Int)
    case offsetsOutOfRange(file: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    case overlappingTensors(file: String, first: String, second: String)
    case unusedBytes(file: String, begin: Int, end: Int)
    case invalidMetadata(file: String, problem: String)
    case tensorNotFound(file: String, tensor: String, available: [String])
    case shapeMismatch(file: String, tensor: String, found: [Int], expected: [Int])
    case invalidName(file: String, name: String, problem: String)
    case writeFailed(file: String, reason: String)

    public var errorDescription: String? {
        let hint = "the file is damaged or not a safetensors file; re-download or re-export it"
        switch self {
        case let .cannotOpen(file, reason):
            return "\(file): cannot open safetensors file: \(reason)"
        case let .truncated(file, size):
            return "\(file): truncated safetensors file: \(size) bytes, but the format starts with an 8-byte "
                + "header length; \(hint)"
        case let .headerBeyondFile(file, length, size):
            return "\(file): header length \(length) bytes reaches beyond the end of the \(size)-byte file "
                + "(truncated download?); \(hint)"
        case let .headerTooLarge(file, length):
            return "\(file): header length \(length) bytes exceeds the 100 MB safetensors limit; \(hint)"
        case let .headerNotJSON(file, reason):
            return "\(file): header is not a JSON object: \(reason); \(hint)"
        case let .invalidEntry(file, tensor, problem):
            return "\(file): header entry '\(tensor)': \(problem); \(hint)"
        case let .unknownDType(file, tensor, dtype):
            return "\(file): tensor '\(tensor)' has unknown dtype '\(dtype)' (safetensors dtypes are F64, F32, F16, "
                + "BF16, I64, I32, I16, I8, U8, BOOL, …); \(hint)"
        case let .unsupportedDType(file, tensor, dtype):
            return "\(file): tensor '\(tensor)' has dtype \(dtype), which Finch does not load; it reads F32, F16 and "
                + "BF16 — convert the checkpoint to one of those"
        case let .sizeMismatch(file, tensor, dtype, shape, expected, actual):
            return "\(file): tensor '\(tensor)' (\(dtype), shape \(shape)) needs \(expected) bytes but its "
                + "data_offsets span \(actual); \(hint)"
        case let .offsetsOutOfRange(file, tensor, begin, end, dataSize):
            return "\(file): tensor '\(tensor)' has data_offsets [\(begin), \(end)] outside the \(dataSize)-byte "
                + "data section; \(hint)"
        case let .overlappingTensors(file, first, second):
            return "\(file): the bytes of tensors '\(first)' and '\(second)' overlap; \(hint)"
        case let .unusedBytes(file, begin, end):
            return "\(file): data bytes \(begin)..<\(end) belong to no tensor (safetensors requires the tensors to "
                + "cover the data section exactly); \(hint)"
        case let .invalidMetadata(file, problem):
            return "\(file): __metadata__ \(problem); it must map strings to strings"
        case let .tensorNotFound(file, tensor, available):
            let shown = available.prefix(8).joined(separator: ", ") + (available.count > 8 ? ", …" : "")
            return "\(file): no tensor named '\(tensor)' (the file has \(available.count): \(shown))"
        case let .shapeMismatch(file, tensor, found, expected):
            return "\(file): tensor '\(tensor)' has shape \(found) but \(expected) was expected; the file belongs to "
                + "a model of another size or layout"
        case let .invalidName(file, name, problem):
            return "\(file): cannot write tensor '\(name)': \(problem)"
        case let .writeFailed(file, reason):
            return "\(file): cannot write safetensors file: \(reason)"
        }
    }
}
