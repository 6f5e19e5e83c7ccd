import Foundation
import TensorCore

/// Configuration of the `synthetic` stage: seeded instruction tasks whose answers are checked exactly.
public struct SyntheticConfig: Codable, Equatable, Sendable {
    /// Number of records; default 1,000.
    public var count: Int
    /// Task families to draw from, in equal shares; default all of them.
    public var tasks: [SyntheticTask]

    public init(count: Int = 1000, tasks: [SyntheticTask] = SyntheticTask.allCases) {
        self.count = count
        self.tasks = tasks
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        count = try c.decodeIfPresent(Int.self, forKey: .count) ?? 1000
        tasks = try c.decodeIfPresent([SyntheticTask].self, forKey: .tasks) ?? SyntheticTask.allCases
    }

    public func validate() throws {
        guard count > 0 else { throw SyntheticError.badCount(count) }
        guard !tasks.isEmpty else { throw SyntheticError.noTasks }
    }
}

/// Task families. Answers are short and regular so a model of a few million parameters learns them from a
/// few hundred examples, and each has exactly one correct answer so exact match is a fair metric.
public enum SyntheticTask: String, Codable, CaseIterable, Sendable {
    /// "Convert 3 km to meters." → "3000 meters."
    case unitConversion = "unit-conversion"
    /// "What is 12 + 7?" → "19"
    case addition
    /// "What is 19 - 7?" → "12" (never negative)
    case subtraction
    /// "Reverse the word." + input "apple" → "elppa"
    case reverseWord = "reverse-word"
    /// "Sort the numbers in ascending order." + input "7, 3, 9" → "3, 7, 9"
    case sortNumbers = "sort-numbers"
    /// "Write the word in uppercase." + input "river" → "RIVER"
    case uppercase
    /// "Write the word in lowercase." + input "RIVER" → "river"
    case lowercase
    /// "What is the plural of \"mouse\"?" → "mice"
    case plural
}

public enum SyntheticError: LocalizedError, Equatable {
    case badCount(Int)
    case noTasks

    public var errorDescription: String? {
        switch self {
        case .badCount(let n): return "synthetic `count: \(n)` must be a positive number of records"
        case .noTasks: return "synthetic `tasks:` is empty; list at least one of \(SyntheticTask.allCases.map(\.rawValue).joined(separator: ", ")) or omit it for all"
        }
    }
}

public enum SyntheticStage {
    /// Records for `config` and `seed`: the same arguments always give the same records. Task families
    /// take turns (equal shares), then the order is shuffled so batches mix families.
    public static func generate(_ config: SyntheticConfig, seed: UInt64) throws -> [InstructionRecord] {
        try config.validate()
        var rng = RNG(seed: seed)
        var records: [InstructionRecord] = []
        records.reserveCapacity(config.count)
        for i in 0..<config.count {
            records.append(make(config.tasks[i % config.tasks.count], &rng))
        }
        rng.shuffle(&records)
        return records
    }

    @discardableResult
    public static func run(_ config: SyntheticConfig, seed: UInt64, outputDirectory: URL) throws -> [InstructionRecord] {
        let records = try generate(config, seed: seed)
        try ArtifactFiles.writeRecords(records, to: outputDirectory)
        return records
    }

    static func make(_ task: SyntheticTask, _ rng: inout RNG) -> InstructionRecord {
        func pick<T>(_ xs: [T]) -> T { xs[rng.next(below: xs.count)] }
        func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + rng.next(below: range.count) }
        switch task {
        case .unitConversion:
            let (from, to, factor) = pick(units)
            let value = int(1...20)
            return InstructionRecord(instruction: "Convert \(value) \(from) to \(to).", output: "\(value * factor) \(to).")
        case .addition:
            let a = int(0...50), b = int(0...50)
            return InstructionRecord(instruction: "What is \(a) + \(b)?", output: "\(a + b)")
        case .subtraction:
            let a = int(0...50), b = int(0...50)
            return InstructionRecord(instruction: "What is \(max(a, b)) - \(min(a, b))?", output: "\(max(a, b) - min(a, b))")
        case .reverseWord:
            let w = pick(words)
            return InstructionRecord(instruction: "Reverse the word.", input: w, output: String(w.reversed()))
        case .sortNumbers:
            let n = int(3...5)
            let xs = (0..<n).map { _ in int(0...99) }
            return InstructionRecord(instruction: "Sort the numbers in ascending order.",
                                     input: xs.map(String.init).joined(separator: ", "),
                                     output: xs.sorted().map(String.init).joined(separator: ", "))
        case .uppercase:
            let w = pick(words)
            return InstructionRecord(instruction: "Write the word in uppercase.", input: w, output: w.uppercased())
        case .lowercase:
            let w = pick(words)
            return InstructionRecord(instruction: "Write the word in lowercase.", input: w.uppercased(), output: w)
        case .plural:
            let (singular, plural) = pick(plurals)
            return InstructionRecord(instruction: "What is the plural of \"\(singular)\"?", output: plural)
        }
    }

    static let units: [(String, String, Int)] = [
        ("km", "meters", 1000), ("meters", "centimeters", 100), ("kg", "grams", 1000),
        ("hours", "minutes", 60), ("minutes", "seconds", 60), ("liters", "milliliters", 1000),
        ("days", "hours", 24), ("weeks", "days", 7),
    ]

    static let words = [
        "apple", "river", "stone", "cloud", "green", "house", "light", "music", "paper", "table",
        "water", "bread", "chair", "dream", "earth", "flame", "grape", "heart", "lemon", "money",
        "night", "ocean", "plant", "queen", "smile", "tiger", "voice", "whale", "zebra", "bird",
        "cat", "dog", "fish", "moon", "star", "tree", "rain", "snow", "wind", "book",
    ]

    static let plurals: [(String, String)] = [
        ("cat", "cats"), ("dog", "dogs"), ("book", "books"), ("tree", "trees"), ("car", "cars"),
        ("box", "boxes"), ("bus", "buses"), ("dish", "dishes"), ("church", "churches"), ("glass", "glasses"),
        ("city", "cities"), ("baby", "babies"), ("story", "stories"), ("party", "parties"), ("lady", "ladies"),
        ("leaf", "leaves"), ("knife", "knives"), ("wolf", "wolves"), ("life", "lives"), ("shelf", "shelves"),
        ("child", "children"), ("man", "men"), ("woman", "women"), ("mouse", "mice"), ("goose", "geese"),
        ("tooth", "teeth"), ("foot", "feet"), ("person", "people"), ("ox", "oxen"), ("sheep", "sheep"),
        ("fish", "fish"), ("deer", "deer"), ("potato", "potatoes"), ("tomato", "tomatoes"), ("hero", "heroes"),
        ("key", "keys"), ("day", "days"), ("toy", "toys"), ("boy", "boys"), ("house", "houses"),
    ]
}
