import Foundation

/// The three parts of a split stage's output, each in the order the split produced.
public struct Splits: Equatable, Sendable {
    public var train: [PromptRecord]
    public var test: [PromptRecord]
    public var validation: [PromptRecord]

    public init(train: [PromptRecord], test: [PromptRecord], validation: [PromptRecord]) {
        self.train = train
        self.test = test
        self.validation = validation
    }

    public enum Part: String, Codable, CaseIterable, Sendable {
        case train, test, validation
    }

    public subscript(part: Part) -> [PromptRecord] {
        switch part {
        case .train: return train
        case .test: return test
        case .validation: return validation
        }
    }
}
