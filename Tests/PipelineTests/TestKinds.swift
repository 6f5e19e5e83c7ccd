import Foundation
import Pipeline

// Small stage kinds that do real work (write files, read their inputs) and log each execution to
// `executions.log` next to the pipeline file, so tests count what ran.

func logExecution(_ context: StageContext) {
    let url = context.pipelineDirectory.appendingPathComponent("executions.log")
    let fd = open(url.path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
    guard fd >= 0 else { return }
    _ = (context.stageName + "\n").withCString { write(fd, $0, strlen($0)) }
    close(fd)
}

/// Hash-free digest of the inputs' files, so outputs depend on inputs for real.
func readInputs(_ refs: [StageRef], _ context: StageContext) throws -> String {
    var s = ""
    for r in refs {
        let dir = context.input(r)
        for f in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() {
            s += try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
        }
    }
    return s
}

struct SourceKind: StageKind {
    struct Configuration: StageConfiguration {
        var value: Double
        var text: String
        var files: Int
        enum CodingKeys: String, CodingKey { case value, text, files }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            value = try c.value(.value, default: 1)
            text = try c.value(.text, default: "a")
            files = try c.value(.files, default: 1)
        }
        var references: [StageReference] { [] }
    }
    var name: String { "source" }
    var version: Int { 1 }
    var produces: ArtifactType { "numbers" }
    func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
        logExecution(context)
        for i in 0..<c.files {
            try "\(c.text) \(c.value) \(i)\n".write(to: context.outputDirectory.appendingPathComponent("f\(i).txt"), atomically: false, encoding: .utf8)
        }
        return ["value": .number(c.value)]
    }
}

struct CombineKind: StageKind {
    struct Configuration: StageConfiguration {
        var inputs: [StageRef]
        var scale: Double
        enum CodingKeys: String, CodingKey { case inputs, scale }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            inputs = try c.decode([StageRef].self, forKey: .inputs)
            scale = try c.value(.scale, default: 1)
        }
        var references: [StageReference] { inputs.map { StageReference($0, accepts: ["numbers", "model"]) } }
    }
    var name: String { "combine" }
    var version: Int { 1 }
    var produces: ArtifactType { "numbers" }
    func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
        logExecution(context)
        let text = try readInputs(c.inputs, context)
        try "\(c.scale)\n\(text)".write(to: context.outputDirectory.appendingPathComponent("combined.txt"), atomically: false, encoding: .utf8)
        return ["bytes": .number(Double(text.utf8.count))]
    }
}

struct SplitKind: StageKind {
    struct Configuration: StageConfiguration {
        var data: StageRef
        var train: Double
        var test: Double
        var validation: Double
        enum CodingKeys: String, CodingKey { case data, train, test, validation }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            data = try c.decode(StageRef.self, forKey: .data)
            train = try c.value(.train, default: 0.85)
            test = try c.value(.test, default: 0.1)
            validation = try c.value(.validation, default: 0.05)
        }
        var references: [StageReference] { [StageReference(data, accepts: ["numbers"])] }
        func validate() -> [ConfigIssue] {
            let sum = train + test + validation
            return abs(sum - 1) > 1e-9 ? [ConfigIssue(["train"], "split fractions train + test + validation must sum to 1, got \(sum)")] : []
        }
    }
    var name: String { "split" }
    var version: Int { 1 }
    var produces: ArtifactType { "splits" }
    var usesSeed: Bool { true }
    func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
        logExecution(context)
        let text = try readInputs([c.data], context)
        try "\(context.seed) \(c.train)\n\(text)".write(to: context.outputDirectory.appendingPathComponent("splits.txt"), atomically: false, encoding: .utf8)
        return [:]
    }
}

struct TrainKind: StageKind {
    enum Optimizer: String, Codable, CaseIterable, ConfigChoices { case adamw, sgd }
    struct OptimizerConfig: Codable, Sendable {
        var kind: Optimizer
        var lr: Double
        var weightDecay: Double
        enum CodingKeys: String, CodingKey { case kind, lr, weightDecay = "weight_decay" }
        init() { kind = .adamw; lr = 5e-5; weightDecay = 0 }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            kind = try c.value(.kind, default: .adamw)
            lr = try c.value(.lr, default: 5e-5)
            weightDecay = try c.value(.weightDecay, default: 0)
        }
    }
    struct Configuration: StageConfiguration {
        var data: StageRef
        var epochs: Int
        var optimizer: OptimizerConfig
        var steps: Int
        var fail: Bool
        enum CodingKeys: String, CodingKey { case data, epochs, optimizer, steps, fail }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            data = try c.decode(StageRef.self, forKey: .data)
            epochs = try c.value(.epochs, default: 1)
            optimizer = try c.value(.optimizer, default: OptimizerConfig())
            steps = try c.value(.steps, default: 3)
            fail = try c.value(.fail, default: false)
        }
        var references: [StageReference] { [StageReference(data, accepts: ["splits"])] }
        func validate() -> [ConfigIssue] {
            var out: [ConfigIssue] = []
            if optimizer.lr <= 0 { out.append(ConfigIssue(["optimizer", "lr"], "learning rate must be positive, got \(optimizer.lr)")) }
            if epochs < 1 { out.append(ConfigIssue(["epochs"], "epochs must be at least 1")) }
            return out
        }
    }
    var name: String { "train" }
    var version: Int { 1 }
    var produces: ArtifactType { "model" }
    var usesSeed: Bool { true }
    struct Diverged: LocalizedError { var errorDescription: String? { "loss diverged at step 2" } }
    func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
        logExecution(context)
        let text = try readInputs([c.data], context)
        for s in 1...c.steps {
            try context.checkCancellation()
            try "step \(s)\n".write(to: context.workDirectory.appendingPathComponent("checkpoint"), atomically: true, encoding: .utf8)
            context.progress(s, of: c.steps)
            if c.fail && s == 2 { throw Diverged() }
        }
        try "\(c.optimizer.lr) \(c.epochs)\n\(text)".write(to: context.outputDirectory.appendingPathComponent("model.bin"), atomically: false, encoding: .utf8)
        return ["loss": .number(1.0 / (1 + c.optimizer.lr * 1000)), "steps": .number(Double(c.steps))]
    }
}

func testRegistry() -> StageRegistry {
    var r = StageRegistry()
    r.register(SourceKind())
    r.register(CombineKind())
    r.register(SplitKind())
    r.register(TrainKind())
    return r
}

/// A scratch directory per test, removed on deinit.
final class Scratch {
    let dir: URL
    init() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("finch-pipeline-\(UUID().uuidString.prefix(8))")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: dir) }

    @discardableResult
    func write(_ name: String, _ text: String) -> URL {
        let url = dir.appendingPathComponent(name)
        try! text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    var store: ArtifactStore { ArtifactStore(root: dir.appendingPathComponent(".finch")) }

    /// Stage names executed so far (in order), then clears the log.
    @discardableResult
    func takeExecutions() -> [String] {
        let url = dir.appendingPathComponent("executions.log")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: url)
        return text.split(separator: "\n").map(String.init)
    }
}

final class SilentObserver: RunObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var _messages: [String] = []
    var messages: [String] { lock.withLock { _messages } }
    func stageCached(_ name: String, kind: String) {}
    func stageStarted(_ name: String, kind: String) {}
    func stageProgress(_ name: String, _ progress: StageProgress) {}
    func stageFinished(_ name: String, status: String, seconds: Double, error: String?) {}
    func message(_ text: String) { lock.withLock { _messages.append(text) } }
}

func run(_ file: URL, _ options: PipelineRunner.Options = .init()) throws -> RunRecord {
    try PipelineRunner(registry: testRegistry(), tool: "test").run(file: file, options: options, observer: SilentObserver())
}

/// The diagnostics for a file, or an empty list when it is valid.
func diagnostics(_ text: String, overrides: [String] = [], file: String = "p.yaml") -> [String] {
    let s = Scratch()
    let url = s.write(file, text)
    do {
        _ = try PipelineLoader(registry: testRegistry()).load(bytes: Array(text.utf8), file: url, displayName: file, overrides: overrides)
        return []
    } catch let e as SpecErrors {
        return e.diagnostics.map(\.description)
    } catch {
        return ["unexpected: \(error)"]
    }
}

let basePipeline = """
name: demo
seed: 123
stages:
  data: {uses: source, value: 2, files: 2}
  extra: {uses: source, text: b}
  splits: {uses: split, data: data, train: 0.8, test: 0.1, validation: 0.1}
  tuned:
    uses: train
    data: splits
    epochs: 2
    optimizer: {kind: adamw, lr: 5.0e-5}
  report: {uses: combine, inputs: [tuned, extra]}

"""
