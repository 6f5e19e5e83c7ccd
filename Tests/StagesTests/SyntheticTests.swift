import Foundation
import Testing
@testable import Stages

@Suite struct SyntheticTests {
    @Test func sameSeedSameRecordsDifferentSeedDifferent() throws {
        let a = try SyntheticStage.generate(SyntheticConfig(count: 300), seed: 123)
        let b = try SyntheticStage.generate(SyntheticConfig(count: 300), seed: 123)
        let c = try SyntheticStage.generate(SyntheticConfig(count: 300), seed: 124)
        #expect(a == b)
        #expect(a != c)
        #expect(a.count == 300)
    }

    @Test func familiesGetEqualSharesAndShortAnswers() throws {
        let records = try SyntheticStage.generate(SyntheticConfig(count: 800), seed: 1)
        var perFamily: [SyntheticTask: Int] = [:]
        for r in records { perFamily[try #require(Self.family(r)), default: 0] += 1 }
        #expect(perFamily.count == SyntheticTask.allCases.count)
        #expect(perFamily.values.allSatisfy { $0 == 100 })
        #expect(records.allSatisfy { $0.output.count <= 20 && $0.instruction.count <= 60 && $0.input.count <= 20 })
        // Mostly distinct: a tiny model must generalise, not memorise a handful of examples.
        #expect(Set(records).count > 500)
    }

    /// Every answer re-derived from the question by an independent checker.
    @Test func everyAnswerIsCorrect() throws {
        for r in try SyntheticStage.generate(SyntheticConfig(count: 2000), seed: 99) {
            #expect(Self.check(r), "wrong answer: \(r)")
        }
    }

    @Test func selectedTasksOnlyAndValidation() throws {
        let records = try SyntheticStage.generate(SyntheticConfig(count: 50, tasks: [.addition]), seed: 5)
        #expect(records.allSatisfy { Self.family($0) == .addition })
        #expect(throws: SyntheticError.noTasks) { try SyntheticStage.generate(SyntheticConfig(count: 5, tasks: []), seed: 1) }
        #expect(throws: SyntheticError.badCount(0)) { try SyntheticStage.generate(SyntheticConfig(count: 0), seed: 1) }
        let decoded = try JSONDecoder().decode(SyntheticConfig.self, from: Data(#"{"tasks":["reverse-word","plural"]}"#.utf8))
        #expect(decoded == SyntheticConfig(count: 1000, tasks: [.reverseWord, .plural]))
    }

    static func family(_ r: InstructionRecord) -> SyntheticTask? {
        let i = r.instruction
        if i.hasPrefix("Convert ") { return .unitConversion }
        if i.hasPrefix("What is the plural") { return .plural }
        if i.hasPrefix("What is "), i.contains(" + ") { return .addition }
        if i.hasPrefix("What is "), i.contains(" - ") { return .subtraction }
        if i == "Reverse the word." { return .reverseWord }
        if i.hasPrefix("Sort the numbers") { return .sortNumbers }
        if i.hasSuffix("uppercase.") { return .uppercase }
        if i.hasSuffix("lowercase.") { return .lowercase }
        return nil
    }

    static func check(_ r: InstructionRecord) -> Bool {
        let words = r.instruction.dropLast().split(separator: " ").map(String.init)
        switch family(r) {
        case .unitConversion:
            // "Convert 3 km to meters." → "3000 meters."
            let factors = ["km meters": 1000, "meters centimeters": 100, "kg grams": 1000, "hours minutes": 60,
                           "minutes seconds": 60, "liters milliliters": 1000, "days hours": 24, "weeks days": 7]
            guard words.count == 5, let v = Int(words[1]), let f = factors["\(words[2]) \(words[4])"] else { return false }
            return r.output == "\(v * f) \(words[4])."
        case .addition:
            guard let a = Int(words[2]), let b = Int(words[4]) else { return false }
            return r.output == String(a + b)
        case .subtraction:
            guard let a = Int(words[2]), let b = Int(words[4]) else { return false }
            return a >= b && r.output == String(a - b)
        case .reverseWord: return r.output == String(r.input.reversed()) && !r.input.isEmpty
        case .sortNumbers:
            let xs = r.input.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            return xs.count >= 3 && r.output == xs.sorted().map(String.init).joined(separator: ", ")
        case .uppercase: return r.output == r.input.uppercased() && r.input == r.input.lowercased()
        case .lowercase: return r.output == r.input.lowercased() && r.input == r.input.uppercased()
        case .plural:
            let irregular = ["child": "children", "man": "men", "woman": "women", "mouse": "mice", "goose": "geese",
                             "tooth": "teeth", "foot": "feet", "person": "people", "ox": "oxen", "sheep": "sheep",
                             "fish": "fish", "deer": "deer", "leaf": "leaves", "knife": "knives", "wolf": "wolves",
                             "life": "lives", "shelf": "shelves", "potato": "potatoes", "tomato": "tomatoes", "hero": "heroes"]
            guard let q1 = r.instruction.firstIndex(of: "\""), let q2 = r.instruction.lastIndex(of: "\""), q1 < q2 else { return false }
            let noun = String(r.instruction[r.instruction.index(after: q1)..<q2])
            if let p = irregular[noun] { return r.output == p }
            if noun.hasSuffix("y"), let before = noun.dropLast().last, !"aeiou".contains(before) { return r.output == noun.dropLast() + "ies" }
            if ["s", "x", "sh", "ch"].contains(where: { noun.hasSuffix($0) }) { return r.output == noun + "es" }
            return r.output == noun + "s"
        case nil: return false
        }
    }
}
