import Foundation
@testable import Pipeline
import Testing

@Suite struct CanonicalJSONTests {
    @Test func sortedCompactAndCanonicalNumbers() {
        let v: JSONValue = .object(["b": .number(0.00005), "a": .array([.number(2.0), .number(-0.0), .bool(true), .null]),
                                    "é": .string("q\"\\\n\u{01}")])
        #expect(v.canonicalJSON == #"{"a":[2,0,true,null],"b":5e-05,"é":"q\"\\\n\u0001"}"#)
    }

    @Test func sameValueSameSpelling() {
        #expect(JSONValue.number(5e-5).canonicalJSON == JSONValue.number(0.00005).canonicalJSON)
        #expect(JSONValue.number(1e20).canonicalJSON == "1e+20")
        #expect(JSONValue.number(4096).canonicalJSON == "4096")
        #expect(JSONValue.number(1e300).canonicalJSON == "1e+300")
    }
}
