import Foundation
import TensorCore

/// Configuration of the `split` stage. Defaults are chapter 7's 85/10/5 in file order.
public struct SplitConfig: Codable, Equatable, Sendable {
    /// Fraction of records for training; default 0.85.
    public var train: Double
    /// Fraction for the test set; default 0.10.
    public var test: Double
    /// Fraction for validation; default 0.05. Validation receives whatever train and test leave, as in
    /// chapter 7, so this value only has to make the three sum to 1.
    public var validation: Double
    /// Shuffle with the pipeline seed before splitting; default false (file order).
    public var shuffle: Bool

    public init(train: Double = 0.85, test: Double = 0.10, validation: Double = 0.05, shuffle: Bool = false) {
        self.train = train
        self.test = test
        self.validation = validation
        self.shuffle = shuffle
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        train = try c.decodeIfPresent(Double.self, forKey: .train) ?? 0.85
        test = try c.decodeIfPresent(Double.self, forKey: .test) ?? 0.10
        validation = try c.decodeIfPresent(Double.self, forKey: .validation) ?? 0.05
        shuffle = try c.decodeIfPresent(Bool.self, forKey: .shuffle) ?? false
    }

    public func validate() throws {
        for (name, value) in [("train", train), ("test", test), ("validation", validation)] {
            guard value.isFinite, value >= 0, value <= 1 else { throw SplitError.fractionOutOfRange(name, value) }
        }
        let sum = train + test + validation
        guard abs(sum - 1) <= 1e-6 else { throw SplitError.fractionsDoNotSumToOne(train, test, validation) }
    }

    /// Sizes of (train, test, validation) for `n` records: `int(n * train)`, `int(n * test)`, the rest —
    /// the same Double product truncated toward zero as Python's `int(len(data) * 0.85)`, so 1,100 records
    /// give 935/110/55 exactly as the chapter.
    public func counts(for n: Int) -> (train: Int, test: Int, validation: Int) {
        let trainCount = min(n, Int(Double(n) * train))
        let testCount = min(n - trainCount, Int(Double(n) * test))
        return (trainCount, testCount, n - trainCount - testCount)
    }
}

public enum SplitError: LocalizedError, Equatable {
    case fractionOutOfRange(String, Double)
    case fractionsDoNotSumToOne(Double, Double, Double)

    public var errorDescription: String? {
        switch self {
        case .fractionOutOfRange(let name, let v):
            return "split `\(name): \(v)` must be a fraction between 0 and 1"
        case .fractionsDoNotSumToOne(let a, let b, let c):
            return "split fractions train \(a) + test \(b) + validation \(c) = \(a + b + c), but they must sum to 1"
        }
    }
}

public enum SplitStage {
    /// Splits in file order, or after a Fisher–Yates shuffle seeded with `seed` when `config.shuffle`.
    public static func split<T>(_ items: [T], config: SplitConfig, seed: UInt64) throws -> (train: [T], test: [T], validation: [T]) {
        try config.validate()
        var items = items
        if config.shuffle {
            var rng = RNG(seed: seed)
            rng.shuffle(&items)
        }
        let (nTrain, nTest, _) = config.counts(for: items.count)
        return (Array(items[0..<nTrain]), Array(items[nTrain..<(nTrain + nTest)]), Array(items[(nTrain + nTest)...]))
    }

    @discardableResult
    public static func run(_ config: SplitConfig, seed: UInt64, promptsDirectory: URL, outputDirectory: URL) throws -> Splits {
        let parts = try split(try ArtifactFiles.readPrompts(from: promptsDirectory), config: config, seed: seed)
        let splits = Splits(train: parts.train, test: parts.test, validation: parts.validation)
        try ArtifactFiles.writeSplits(splits, to: outputDirectory)
        return splits
    }
}
