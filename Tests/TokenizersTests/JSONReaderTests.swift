import Foundation
import Testing
@testable import Tokenizers

struct JSONReaderTests {
    func parse(_ s: String) throws -> JSONNode { try JSONReader.parse(Array(s.utf8), path: "t.json") }

    @Test func parsesValuesWithPositions() throws {
        let v = try parse("{\n  \"a\": [1, -2.5e1, true, null],\n  \"b\\u00e9\\ud83d\\ude00\": \"x\\n\"\n}")
        guard case .object(let m) = v.value else { Issue.record("not an object"); return }
        #expect(m.count == 2 && m[0].line == 2 && m[0].column == 3 && m[1].line == 3)
        #expect(m[1].key == Array("bé😀".utf8))
        guard case .array(let items) = m[0].node.value else { Issue.record("not an array"); return }
        guard case .integer(1) = items[0].value, case .double(-25) = items[1].value, case .bool(true) = items[2].value,
              case .null = items[3].value else { Issue.record("wrong values"); return }
    }

    @Test(arguments: [
        ("{\"a\" 1}", 1, 6), ("[1, 2", 1, 6), ("{\"a\": 01}", 1, 7), ("\"\\ud800\"", 1, 8), ("[1]\nx", 2, 1),
        ("\"abc", 1, 5), ("{\"a\":\n  tru}", 2, 3),
    ])
    func errorsCarryLineAndColumn(text: String, line: Int, column: Int) {
        do {
            _ = try parse(text)
            Issue.record("no error for \(text)")
        } catch let TokenizerError.invalidJSON(path, l, c, _) {
            #expect(path == "t.json" && l == line && c == column, "\(text): \(l):\(c)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        #expect(throws: TokenizerError.self) { try parse(String(repeating: "[", count: 100_000)) }
    }
}
