import Foundation

/// A `--set path=value` override. The value is YAML (so `1e-4` is a number and `true` a bool) and
/// is validated like the file; errors point into the argument.
public struct Override: Sendable {
    /// The argument as given, recorded in run records.
    public let argument: String
    let path: [String]
    let pathSource: SourceText
    let value: YAMLNode

    public init(_ argument: String) throws {
        self.argument = argument
        pathSource = SourceText(name: "--set", text: argument)
        guard let eq = argument.firstIndex(of: "=") else {
            throw SpecErrors([Diagnostic(SourceLocation(source: pathSource, line: 1, column: argument.count + 1),
                                         "expected PATH=VALUE, e.g. stages.tuned.optimizer.lr=1e-4")])
        }
        let pathText = String(argument[..<eq])
        path = pathText.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if path.contains(where: \.isEmpty) || pathText.isEmpty {
            throw SpecErrors([Diagnostic(SourceLocation(source: pathSource, line: 1, column: 1),
                                         "empty component in path '\(pathText)'; write it like stages.NAME.FIELD")])
        }
        let valueText = String(argument[argument.index(after: eq)...])
        let offset = argument[..<eq].unicodeScalars.count + 1
        let valueSource = SourceText(name: "--set", text: argument, columnOffset: offset)
        let node = try YAMLComposer.compose(Array(valueText.utf8), source: valueSource)
        value = node ?? YAMLNode(.scalar("", plain: true), at: SourceLocation(source: valueSource, line: 1, column: 1))
    }

    private var pathLocation: SourceLocation { SourceLocation(source: pathSource, line: 1, column: 1) }

    /// Puts the value into the document at `path`, creating mappings on the way.
    func apply(to root: inout YAMLNode) throws {
        if path[0] == "stages", path.count >= 2 {
            let names = root.value(for: "stages")?.pairs?.compactMap { $0.key.scalar } ?? []
            if !names.contains(path[1]) {
                throw SpecErrors([Diagnostic(pathLocation, "no stage named '\(path[1])' in the pipeline\(Suggest.hint(path[1], names))")])
            }
        }
        try set(&root, path[...])
    }

    private func set(_ node: inout YAMLNode, _ rest: ArraySlice<String>) throws {
        guard let head = rest.first else {
            node = value
            return
        }
        switch node.kind {
        case .mapping(var pairs):
            if let i = pairs.firstIndex(where: { $0.key.scalar == head }) {
                try set(&pairs[i].value, rest.dropFirst())
            } else {
                var fresh = YAMLNode(.mapping([]), at: pathLocation)
                try set(&fresh, rest.dropFirst())
                pairs.append((YAMLNode(.scalar(head, plain: true), at: pathLocation), fresh))
            }
            node.kind = .mapping(pairs)
        case .sequence(var items):
            guard let i = Int(head), items.indices.contains(i) else {
                throw SpecErrors([Diagnostic(pathLocation, "'\(head)' is not an index of the list at this path (0..<\(items.count))")])
            }
            try set(&items[i], rest.dropFirst())
            node.kind = .sequence(items)
        case .scalar:
            if node.isNull {
                node = YAMLNode(.mapping([]), at: pathLocation)
                try set(&node, rest)
            } else {
                throw SpecErrors([Diagnostic(pathLocation, "cannot set '\(head)' inside a scalar value")])
            }
        }
    }
}
