import Foundation

/// Reads a pipeline file, applies `--set` overrides and validates everything before anything
/// runs. All problems found are thrown together as `SpecErrors`.
public struct PipelineLoader: Sendable {
    public let registry: StageRegistry

    public init(registry: StageRegistry) { self.registry = registry }

    static let topLevelKeys = ["name", "seed", "description", "stages"]
    static let stageNamePattern = #/^[A-Za-z_][A-Za-z0-9_-]*$/#

    /// `cacheDirectory` holds the memo of local source hashes (`local-hashes.json`); nil means the
    /// pipeline's default cache directory (`ArtifactStore.resolve(explicit: nil, pipelineFile: file)`).
    public func load(file: URL, overrides: [String] = [], cacheDirectory: URL? = nil) throws -> PipelineDefinition {
        let displayName = Self.displayPath(file)
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw PipelineError.cannotRead(file.path, error.localizedDescription)
        }
        return try load(bytes: Array(data), file: file, displayName: displayName, overrides: overrides, cacheDirectory: cacheDirectory)
    }

    public func load(bytes: [UInt8], file: URL, displayName: String, overrides: [String] = [],
                     cacheDirectory: URL? = nil) throws -> PipelineDefinition {
        if bytes.count > YAMLComposer.maxBytes {
            let empty = SourceText(name: displayName, text: "")
            throw SpecErrors([Diagnostic(SourceLocation(source: empty, line: 1, column: 1),
                                         "file is \(bytes.count) bytes; pipeline files are limited to \(YAMLComposer.maxBytes) bytes")])
        }
        let source = SourceText(name: displayName, text: String(decoding: bytes, as: UTF8.self))
        let start = SourceLocation(source: source, line: 1, column: 1)
        guard var root = try YAMLComposer.compose(bytes, source: source) else {
            throw SpecErrors([Diagnostic(start, "empty pipeline file: expected a mapping with 'name', 'seed' and 'stages'")])
        }
        guard root.pairs != nil else {
            throw SpecErrors([Diagnostic(root.location, "a pipeline file is a mapping with 'name', 'seed' and 'stages', not \(root.kindName)")])
        }
        var diagnostics: [Diagnostic] = []
        var parsedOverrides: [Override] = []
        for arg in overrides {
            do {
                let o = try Override(arg)
                try o.apply(to: &root)
                parsedOverrides.append(o)
            } catch let e as SpecErrors {
                diagnostics += e.diagnostics
            }
        }
        let sink = DecodeSink()
        var stages: [ResolvedStage] = []
        var stageKeys: [String: SourceLocation] = [:]
        var refs: [String: [StageReference]] = [:]

        // Top level.
        var name = file.deletingPathExtension().lastPathComponent
        var seed: UInt64 = 0
        var stagesNode: YAMLNode?
        for (key, value) in root.pairs! {
            let k = key.scalar ?? ""
            let d = NodeDecoder(node: value, codingPath: [IndexKey.named(k)], sink: sink, owner: key.location)
            switch k {
            case "name":
                name = d.scalar(String.self)
                if name.isEmpty || name.contains("/") || name.hasPrefix(".") {
                    diagnostics.append(Diagnostic(value.location, "pipeline name '\(name)' must be non-empty, without '/', not starting with '.'"))
                }
            case "seed": seed = d.scalar(UInt64.self)
            case "description": _ = d.scalar(String.self)
            case "stages": stagesNode = value
            default:
                diagnostics.append(Diagnostic(key.location, "unknown top-level key '\(k)'\(Suggest.hint(k, Self.topLevelKeys)); expected name, seed, description, stages"))
            }
        }
        guard let stagesNode else {
            throw SpecErrors(diagnostics + sink.diagnostics + [Diagnostic(root.location, "missing required field 'stages'")])
        }
        guard let stagePairs = stagesNode.pairs, !stagePairs.isEmpty else {
            throw SpecErrors(diagnostics + sink.diagnostics + [Diagnostic(stagesNode.location, "'stages' must be a mapping of stage names to stages, found \(stagesNode.kindName)")])
        }

        // Stages: kinds and typed configurations.
        var stageNodes: [String: YAMLNode] = [:]
        var localFiles: [String: [String: LocalFileHash]] = [:]
        let pipelineDirectory = file.deletingLastPathComponent()
        let hasher = LocalFileHasher(cacheDirectory: cacheDirectory ?? ArtifactStore.resolve(explicit: nil, pipelineFile: file).root)
        defer { hasher.save() }
        for (key, value) in stagePairs {
            let stageName = key.scalar ?? ""
            stageKeys[stageName] = key.location
            stageNodes[stageName] = value
            if stageName.wholeMatch(of: Self.stageNamePattern) == nil {
                diagnostics.append(Diagnostic(key.location, "stage name '\(stageName)' may hold only letters, digits, '_' and '-', and must not start with a digit or '-'"))
            }
            guard var pairs = value.pairs else {
                diagnostics.append(Diagnostic(value.location, "stage '\(stageName)' must be a mapping with 'uses:' and its settings, found \(value.kindName)"))
                continue
            }
            guard let usesIndex = pairs.firstIndex(where: { $0.key.scalar == "uses" }) else {
                diagnostics.append(Diagnostic(key.location, "stage '\(stageName)' has no 'uses:'; known kinds: \(kindList)"))
                continue
            }
            let usesNode = pairs.remove(at: usesIndex).value
            guard case .scalar(let uses, _) = usesNode.kind, !usesNode.isNull else {
                diagnostics.append(Diagnostic(usesNode.location, "'uses' must name a stage kind, found \(usesNode.kindName)"))
                continue
            }
            guard let kind = registry.kind(uses) else {
                diagnostics.append(Diagnostic(usesNode.location, "unknown stage kind '\(uses)'\(Suggest.hint(uses, registry.names)); known kinds: \(kindList)"))
                continue
            }
            let configNode = YAMLNode(.mapping(pairs), at: value.location)
            let before = sink.diagnostics.count
            let mappingsBefore = sink.mappingCount
            let decoder = NodeDecoder(node: configNode, codingPath: [], sink: sink, owner: key.location)
            guard let configuration = try? kind.decode(decoder) else {
                sink.forgetMappings(from: mappingsBefore)
                continue
            }
            guard sink.diagnostics.count == before else { continue }
            let issues = configuration.validate()
            for issue in issues {
                diagnostics.append(Diagnostic(Self.locate(issue.path, in: configNode, fallback: key.location), issue.message))
            }
            // Local sources are hashed only for a valid configuration, which is what names them.
            if issues.isEmpty {
                for source in kind.localSources(configuration, pipelineDirectory) {
                    do {
                        localFiles[stageName, default: [:]][source.field] = try hasher.hash(source)
                    } catch let problem as LocalSourceProblem {
                        diagnostics.append(Diagnostic(Self.locate([source.field], in: configNode, fallback: key.location),
                                                      problem.message(stage: stageName, source: source, pipelineDirectory: pipelineDirectory)))
                    }
                }
            }
            let configJSON: JSONValue
            do {
                configJSON = try JSONValue(encoding: configuration)
            } catch {
                diagnostics.append(Diagnostic(key.location, "internal: configuration of '\(stageName)' cannot be encoded: \(error)"))
                continue
            }
            let references = configuration.references
            refs[stageName] = references
            var deps: [String] = []
            for r in references where !deps.contains(r.ref.name) { deps.append(r.ref.name) }
            stages.append(ResolvedStage(name: stageName, kind: uses, version: kind.version, produces: kind.produces,
                                        usesSeed: kind.usesSeed, configuration: configuration, configJSON: configJSON,
                                        dependencies: deps, implementation: kind))
        }
        diagnostics += sink.diagnostics + sink.unknownKeys()

        // References: existence and artifact types.
        let byName = Dictionary(stages.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let allNames = stagePairs.compactMap { $0.key.scalar }
        for s in stages {
            for r in refs[s.name] ?? [] {
                let at = r.ref.location ?? stageKeys[s.name]!
                if stageNodes[r.ref.name] == nil {
                    diagnostics.append(Diagnostic(at, "stage '\(s.name)' refers to unknown stage '\(r.ref.name)'\(Suggest.hint(r.ref.name, allNames))"))
                } else if let target = byName[r.ref.name], !r.accepts.isEmpty, !r.accepts.contains(target.produces) {
                    let want = r.accepts.map(\.rawValue).joined(separator: " or ")
                    diagnostics.append(Diagnostic(at, "stage '\(r.ref.name)' (uses: \(target.kind)) produces \(target.produces), but this reference needs \(want)"))
                }
            }
        }

        // Cycles and execution order.
        let order = Self.topologicalOrder(stages, refs: refs, stageKeys: stageKeys, diagnostics: &diagnostics)
        if !diagnostics.isEmpty { throw SpecErrors(Self.sorted(diagnostics)) }

        // Cache keys, in dependency order.
        var keyed = byName
        for n in order {
            var s = keyed[n]!
            s.localFiles = localFiles[n] ?? [:]
            let inputs = Dictionary(uniqueKeysWithValues: s.dependencies.map { ($0, keyed[$0]!.key) })
            s.keyDocument = CacheKey.document(for: s, inputKeys: inputs, seed: seed)
            s.key = CacheKey.hash(s.keyDocument)
            keyed[n] = s
        }
        return PipelineDefinition(file: file, name: name, seed: seed, stages: stages.map { keyed[$0.name]! },
                                  order: order, overrides: parsedOverrides.map(\.argument))
    }

    private var kindList: String { registry.names.isEmpty ? "(none registered)" : registry.names.joined(separator: ", ") }

    /// Kahn's algorithm with file order among ready stages; a leftover means a cycle, reported
    /// once per cycle with its members in order.
    static func topologicalOrder(_ stages: [ResolvedStage], refs: [String: [StageReference]],
                                 stageKeys: [String: SourceLocation], diagnostics: inout [Diagnostic]) -> [String] {
        let names = Set(stages.map(\.name))
        var deps: [String: [String]] = [:]
        for s in stages { deps[s.name] = s.dependencies.filter(names.contains) }
        var done: Set<String> = []
        var order: [String] = []
        var progress = true
        while progress {
            progress = false
            for s in stages where !done.contains(s.name) && deps[s.name]!.allSatisfy(done.contains) {
                done.insert(s.name)
                order.append(s.name)
                progress = true
            }
        }
        var reported: Set<String> = []
        for s in stages where !done.contains(s.name) && !reported.contains(s.name) {
            // Walk dependencies inside the leftover set until a stage repeats: that loop is a cycle.
            var path: [String] = [s.name]
            var current = s.name
            while true {
                guard let next = deps[current]!.first(where: { !done.contains($0) }) else { break }
                if let i = path.firstIndex(of: next) {
                    let cycle = Array(path[i...])
                    if cycle.contains(where: reported.contains) { break }
                    reported.formUnion(cycle)
                    let first = cycle[0]
                    let second = cycle.count > 1 ? cycle[1] : cycle[0]
                    let ref = refs[first]?.first { $0.ref.name == second }
                    let at = ref?.ref.location ?? stageKeys[first]!
                    // Written in data-flow order, starting at the stage whose reference is quoted.
                    let flow = Array(cycle.reversed())
                    let i0 = flow.firstIndex(of: first)!
                    let rotated = Array(flow[i0...] + flow[..<i0])
                    diagnostics.append(Diagnostic(at, "dependency cycle: \((rotated + [first]).joined(separator: " → "))"))
                    break
                }
                path.append(next)
                current = next
            }
        }
        return order
    }

    /// The node a semantic issue is about, or the stage's name when the field is absent.
    static func locate(_ path: [String], in node: YAMLNode, fallback: SourceLocation) -> SourceLocation {
        var n = node
        for p in path {
            if let v = n.value(for: p) { n = v }
            else if case .sequence(let items) = n.kind, let i = Int(p), items.indices.contains(i) { n = items[i] }
            else { return fallback }
        }
        return n.location
    }

    static func sorted(_ d: [Diagnostic]) -> [Diagnostic] {
        d.enumerated().sorted { a, b in
            let fa = a.element.location.source.name == "--set", fb = b.element.location.source.name == "--set"
            if fa != fb { return !fa }
            if a.element.location.line != b.element.location.line { return a.element.location.line < b.element.location.line }
            if a.element.location.column != b.element.location.column { return a.element.location.column < b.element.location.column }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// Paths in messages are relative to the working directory when the file is below it.
    static func displayPath(_ url: URL) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        let p = url.standardizedFileURL.path
        return p.hasPrefix(cwd + "/") ? String(p.dropFirst(cwd.count + 1)) : p
    }
}

extension IndexKey {
    static func named(_ s: String) -> CodingKey { NamedKey(stringValue: s) }
}

struct NamedKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Errors that are not about the file's content.
public enum PipelineError: LocalizedError {
    case cannotRead(String, String)
    case unknownStage(String, [String])
    case lockHeld(String)
    case stageFailed(stage: String, kind: String, cause: String)
    case interrupted
    case notFound(String)
    case io(String)

    public var errorDescription: String? {
        switch self {
        case .cannotRead(let path, let why): return "cannot read pipeline file \(path): \(why)"
        case .unknownStage(let name, let known):
            return "no stage named '\(name)'\(Suggest.hint(name, known)); stages: \(known.joined(separator: ", "))"
        case .lockHeld(let message): return message
        case .stageFailed(let stage, let kind, let cause): return "stage '\(stage)' (uses: \(kind)) failed: \(cause)"
        case .interrupted: return "interrupted; committed stages stay cached, rerun to continue"
        case .notFound(let what): return what
        case .io(let what): return what
        }
    }
}

extension PipelineLoader {
    /// The pipeline's `name:` (or file stem), read without validating stages: enough to find its runs.
    public func pipelineName(file: URL) throws -> String {
        let data: Data
        do { data = try Data(contentsOf: file) } catch { throw PipelineError.cannotRead(file.path, error.localizedDescription) }
        let source = SourceText(name: Self.displayPath(file), text: String(decoding: data, as: UTF8.self))
        let root = try YAMLComposer.compose(Array(data), source: source)
        if let n = root?.value(for: "name")?.scalar, !n.isEmpty { return n }
        return file.deletingPathExtension().lastPathComponent
    }
}
