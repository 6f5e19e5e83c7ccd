import CYaml
import Foundation

/// Builds `YAMLNode` trees from libyaml's event stream (the parser Yams carries), with guards that
/// keep hostile input cheap: anchors and aliases are refused (no alias can be expanded, so no
/// "billion laughs"), nesting, node count and size are capped, and composition is iterative (no
/// recursion, so no stack overflow on deep input).
public enum YAMLComposer {
    public static let maxBytes = 1 << 20
    public static let maxDepth = 64
    public static let maxNodes = 50_000

    /// A collection being composed. A class, so appending never copies the items gathered so far.
    private final class Frame {
        let location: SourceLocation
        let isMapping: Bool
        var items: [YAMLNode] = []
        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
        var pendingKey: YAMLNode?
        var seen: [String: SourceLocation] = [:]

        init(_ location: SourceLocation, mapping: Bool) {
            self.location = location
            isMapping = mapping
        }
    }

    /// Returns the single document's root (nil for an empty stream), or every problem found.
    public static func compose(_ bytes: [UInt8], source: SourceText) throws -> YAMLNode? {
        if bytes.count > maxBytes {
            throw SpecErrors([Diagnostic(SourceLocation(source: source, line: 1, column: 1),
                                         "file is \(bytes.count) bytes; pipeline files are limited to \(maxBytes) bytes")])
        }
        return try bytes.withUnsafeBufferPointer { buf in try composeEvents(buf, source: source) }
    }

    private static func composeEvents(_ buf: UnsafeBufferPointer<UInt8>, source: SourceText) throws -> YAMLNode? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw SpecErrors([Diagnostic(SourceLocation(source: source, line: 1, column: 1), "out of memory starting the YAML parser")])
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)

        var diagnostics: [Diagnostic] = []
        var stack: [Frame] = []
        var root: YAMLNode?
        var documents = 0
        var nodes = 0

        func loc(_ m: yaml_mark_t) -> SourceLocation {
            SourceLocation(source: source, line: Int(m.line) + 1, column: Int(m.column) + 1)
        }
        func fail(_ d: Diagnostic) -> SpecErrors { SpecErrors(diagnostics + [d]) }

        func add(_ node: YAMLNode) {
            guard let top = stack.last else { root = node; return }
            if !top.isMapping {
                top.items.append(node)
                return
            }
            if let key = top.pendingKey {
                top.pairs.append((key, node))
                top.pendingKey = nil
                return
            }
            var key = node
            if case .scalar(let name, _) = node.kind {
                if let first = top.seen[name] {
                    let inStages = stack.count == 2 && stack[0].pendingKey?.scalar == "stages"
                    diagnostics.append(Diagnostic(node.location, inStages
                        ? "duplicate stage name '\(name)' (first defined at line \(first.line))"
                        : "duplicate key '\(name)' (first given at line \(first.line))"))
                } else {
                    top.seen[name] = node.location
                }
            } else {
                diagnostics.append(Diagnostic(node.location, "mapping keys must be plain strings, not \(node.kindName)"))
                key = YAMLNode(.scalar("", plain: false), at: node.location)
            }
            top.pendingKey = key
        }

        func refuseAnchor(_ anchor: UnsafeMutablePointer<yaml_char_t>?, _ m: yaml_mark_t) {
            guard let anchor else { return }
            diagnostics.append(Diagnostic(loc(m), "anchors (&\(String(cString: anchor))) and aliases are not supported in pipeline files; write the value out"))
        }

        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else {
                throw fail(parserError(&parser, source: source, buf: buf))
            }
            defer { yaml_event_delete(&event) }
            nodes += 1
            if nodes > maxNodes {
                throw fail(Diagnostic(loc(event.start_mark), "more than \(maxNodes) YAML nodes; a pipeline file is far smaller"))
            }
            switch event.type {
            case YAML_STREAM_START_EVENT, YAML_DOCUMENT_END_EVENT, YAML_NO_EVENT:
                continue
            case YAML_STREAM_END_EVENT:
                if !diagnostics.isEmpty { throw SpecErrors(diagnostics) }
                return root
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    throw fail(Diagnostic(loc(event.start_mark), "a pipeline file holds one YAML document; found a second one here"))
                }
            case YAML_ALIAS_EVENT:
                let name = event.data.alias.anchor.map { String(cString: $0) } ?? ""
                diagnostics.append(Diagnostic(loc(event.start_mark), "aliases (*\(name)) are not supported in pipeline files; write the value out"))
                add(YAMLNode(.scalar("", plain: true), at: loc(event.start_mark)))
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                refuseAnchor(s.anchor, event.start_mark)
                let text = String(decoding: UnsafeBufferPointer(start: s.value, count: Int(s.length)), as: UTF8.self)
                var plain = s.style == YAML_PLAIN_SCALAR_STYLE
                if let tag = s.tag.map({ String(cString: $0) }) {
                    if tag == "tag:yaml.org,2002:str" { plain = false }
                    else if tag != "!" {
                        diagnostics.append(Diagnostic(loc(event.start_mark), "YAML tags (\(tag)) are not supported in pipeline files"))
                    }
                }
                add(YAMLNode(.scalar(text, plain: plain), at: loc(event.start_mark)))
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let isMap = event.type == YAML_MAPPING_START_EVENT
                refuseAnchor(isMap ? event.data.mapping_start.anchor : event.data.sequence_start.anchor, event.start_mark)
                if stack.count >= maxDepth {
                    throw fail(Diagnostic(loc(event.start_mark), "nesting deeper than \(maxDepth) levels; a pipeline file needs a handful"))
                }
                stack.append(Frame(loc(event.start_mark), mapping: isMap))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let done = stack.removeLast()
                add(YAMLNode(done.isMapping ? .mapping(done.pairs) : .sequence(done.items), at: done.location))
            default:
                continue
            }
        }
    }

    private static func parserError(_ p: inout yaml_parser_t, source: SourceText, buf: UnsafeBufferPointer<UInt8>) -> Diagnostic {
        let problem = p.problem.map { String(cString: $0) } ?? "invalid YAML"
        let context = p.context.map { String(cString: $0) }
        if p.error == YAML_READER_ERROR {
            // Reader errors carry a byte offset: turn it into line:column for the message.
            let offset = min(Int(p.problem_offset), buf.count)
            var line = 1, col = 1, i = 0
            while i < offset {
                let b = buf[i]
                if b == 0x0A { line += 1; col = 1 } else if b & 0xC0 != 0x80 { col += 1 }
                i += 1
            }
            let what = problem == "invalid leading UTF-8 octet" || problem.contains("UTF-8") ? "not UTF-8 text (\(problem))" : problem
            return Diagnostic(SourceLocation(source: source, line: line, column: col), "YAML: \(what); is this a pipeline file?")
        }
        let m = p.problem_mark
        var message = "YAML syntax: \(problem)"
        if let context { message += " (\(context) at line \(p.context_mark.line + 1))" }
        return Diagnostic(SourceLocation(source: source, line: Int(m.line) + 1, column: Int(m.column) + 1), message)
    }
}
