import Foundation
@testable import Pipeline
import Testing

/// Reads a local file (or the files of a folder) and copies it into its artifact; its configuration
/// declares the file through `localSources` unless `sha256` pins it.
struct ReadKind: StageKind {
    struct Configuration: StageConfiguration {
        var path: String
        var sha256: String?
        var folder: Bool
        var also: [String]
        /// Written over the file while the stage runs, as an editor saving mid-run would.
        var rewrite: String?
        enum CodingKeys: String, CodingKey { case path, sha256, folder, also, rewrite }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = try c.decode(String.self, forKey: .path)
            sha256 = try c.decodeIfPresent(String.self, forKey: .sha256)
            folder = try c.value(.folder, default: false)
            also = try c.value(.also, default: [])
            rewrite = try c.decodeIfPresent(String.self, forKey: .rewrite)
        }
        var references: [StageReference] { [] }
    }
    var name: String { "read" }
    var version: Int { 1 }
    var produces: ArtifactType { "numbers" }
    func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
        logExecution(context)
        let url = context.resolve(path: c.path)
        let text = c.folder ? try c.also.map { try String(contentsOf: url.appendingPathComponent($0), encoding: .utf8) }.joined()
            : try String(contentsOf: url, encoding: .utf8)
        try text.write(to: context.outputDirectory.appendingPathComponent("copy.txt"), atomically: false, encoding: .utf8)
        if let rewrite = c.rewrite { try rewrite.write(to: url, atomically: true, encoding: .utf8) }
        return ["bytes": .number(Double(text.utf8.count))]
    }
    func localSources(_ c: Configuration, pipelineDirectory: URL) -> [LocalSource] {
        guard c.sha256 == nil else { return [] }
        let url = LocalSource.resolve(path: c.path, relativeTo: pipelineDirectory)
        return [c.folder ? .folder(url, field: "path", reads: c.also) : .file(url, field: "path", alsoReads: c.also)]
    }
}

func localRegistry() -> StageRegistry {
    var r = testRegistry()
    r.register(ReadKind())
    return r
}

/// A local source's content is part of its stage's cache key.
@Suite struct LocalSourceTests {
    // `printf 'hello\n' | sha256sum`, `printf 'hello again\n' | sha256sum`
    static let helloSHA = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
    static let helloAgainSHA = "d9a4c6676a62cb3b8ca0b8459ab341837cdba8543316c8574b454ccc24d4c690"

    static let pipeline = """
    name: local
    seed: 1
    stages:
      data: {uses: read, path: data/mine.txt}
      extra: {uses: source, text: b}
      splits: {uses: split, data: data, train: 0.8, test: 0.1, validation: 0.1}
      tuned: {uses: train, data: splits}
      report: {uses: combine, inputs: [tuned, extra]}

    """

    func runLocal(_ file: URL, overrides: [String] = []) throws -> RunRecord {
        try PipelineRunner(registry: localRegistry(), tool: "test").run(file: file, options: .init(overrides: overrides),
                                                                      observer: SilentObserver())
    }

    func load(_ file: URL, overrides: [String] = []) throws -> PipelineDefinition {
        try PipelineLoader(registry: localRegistry()).load(file: file, overrides: overrides)
    }

    /// A scratch pipeline with `data/mine.txt` holding `text`.
    func scratch(_ text: String = "hello\n", pipeline: String = Self.pipeline) throws -> (Scratch, URL) {
        let s = Scratch()
        try FileManager.default.createDirectory(at: s.dir.appendingPathComponent("data"), withIntermediateDirectories: true)
        s.write("data/mine.txt", text)
        return (s, s.write("p.yaml", pipeline))
    }

    func setModified(_ url: URL, secondsAgo: Double) throws {
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-secondsAgo)], ofItemAtPath: url.path)
    }

    @Test func editingTheFileRerunsItsStageAndEverythingDownstream() throws {
        let (s, file) = try scratch()
        let first = try runLocal(file)
        #expect(first.exitStatus == 0)
        #expect(s.takeExecutions().sorted() == ["data", "extra", "report", "splits", "tuned"])
        // The record holds the content hash the key used.
        #expect(first.stages["data"]?.localFiles == ["path": LocalFileHash(path: s.dir.appendingPathComponent("data/mine.txt").standardizedFileURL.path,
                                                                           sha256: Self.helloSHA)])
        #expect(first.stages["splits"]?.localFiles == nil)

        // Unchanged file: everything is cached.
        let second = try runLocal(file)
        #expect(s.takeExecutions().isEmpty)
        #expect(second.stages["data"]?.key == first.stages["data"]?.key)

        s.write("data/mine.txt", "hello again\n")
        let plan = Plan(definition: try load(file), store: s.store)
        let reasons = Dictionary(uniqueKeysWithValues: plan.entries.map { ($0.stage, $0.reasons) })
        #expect(reasons["data"] == ["local file data/mine.txt changed"])
        #expect(reasons["splits"] == ["input 'data' changed"])
        #expect(reasons["extra"] == [])
        #expect(plan.render().contains("local file data/mine.txt changed"))

        let third = try runLocal(file)
        #expect(s.takeExecutions() == ["data", "splits", "tuned", "report"])
        #expect(third.stages["data"]?.localFiles?["path"]?.sha256 == Self.helloAgainSHA)
        #expect(third.stages["extra"]?.status == "cached")
        let path = s.dir.appendingPathComponent("data/mine.txt").standardizedFileURL.path
        #expect(RunReports.diff(first, third).contains("    local file \(path) (`path:`): 5891b5b522d5 → d9a4c6676a62"))
        let copy = s.store.artifactDirectory(third.stages["data"]!.key).appendingPathComponent("copy.txt")
        #expect(try String(contentsOf: copy, encoding: .utf8) == "hello again\n")

        // Back to the first content: its objects are still in the cache.
        s.write("data/mine.txt", "hello\n")
        #expect(try runLocal(file).stages["data"]?.key == first.stages["data"]?.key)
        #expect(s.takeExecutions().isEmpty)
    }

    @Test func fileEditedWhileTheRunWasGoingIsNotCommittedUnderTheOldKey() throws {
        let (s, file) = try scratch()
        let r = try runLocal(file, overrides: ["stages.data.rewrite=changed"])
        #expect(r.exitStatus == 1)
        #expect(r.stages["data"]?.status == "failed")
        #expect(r.stages["data"]?.error == "local file data/mine.txt (`path:`) changed while the pipeline ran; nothing was committed for this stage, run again to use the new content")
        #expect(!s.store.contains(r.stages["data"]!.key))
        #expect(r.stages["splits"]?.status == "skipped")
        // Run again: the new content is planned, read and committed.
        let again = try runLocal(file)
        #expect(again.exitStatus == 0)
        let copy = s.store.artifactDirectory(again.stages["data"]!.key).appendingPathComponent("copy.txt")
        #expect(try String(contentsOf: copy, encoding: .utf8) == "changed")
    }

    @Test func touchingTheFileKeepsItsKey() throws {
        let (s, file) = try scratch()
        let url = s.dir.appendingPathComponent("data/mine.txt")
        try setModified(url, secondsAgo: 3600)
        let first = try runLocal(file)
        s.takeExecutions()

        let hasher = LocalFileHasher(cacheDirectory: s.store.root)
        let source = LocalSource.file(url, field: "path")
        #expect(try hasher.hash(source).sha256 == Self.helloSHA)
        #expect(hasher.filesRead == 0)  // remembered by the run above

        try setModified(url, secondsAgo: 60)
        let touched = LocalFileHasher(cacheDirectory: s.store.root)
        #expect(try touched.hash(source).sha256 == Self.helloSHA)
        #expect(touched.filesRead == 1)  // a new mtime: hashed again, same content
        touched.save()

        let again = try runLocal(file)
        #expect(again.stages["data"]?.key == first.stages["data"]?.key)
        #expect(s.takeExecutions().isEmpty)
    }

    @Test func memoRemembersSettledFilesExactly() throws {
        let (s, _) = try scratch()
        let url = s.dir.appendingPathComponent("data/mine.txt")
        let source = LocalSource.file(url, field: "path")

        // Just written: hashed every time, never remembered (a second write in the same mtime tick
        // could go unnoticed).
        for _ in 0..<2 {
            let h = LocalFileHasher(cacheDirectory: s.store.root)
            _ = try h.hash(source)
            _ = try h.hash(source)  // a second stage reading the same file: read once per load
            h.save()
            #expect(h.filesRead == 1)
        }
        #expect(!FileManager.default.fileExists(atPath: s.store.root.appendingPathComponent(LocalHashMemo.fileName).path))

        try setModified(url, secondsAgo: 10)
        let first = LocalFileHasher(cacheDirectory: s.store.root)
        _ = try first.hash(source)
        first.save()
        let memo = LocalHashMemo(cacheDirectory: s.store.root)
        let id = try #require(FileIdentity(path: url.path))
        // Nanosecond mtimes (beyond 2^53) survive the JSON round trip.
        #expect(memo.entries[url.path] == LocalHashMemo.Entry(size: 6, mtimeNs: id.mtimeNs, inode: id.inode, sha256: Self.helloSHA))
        #expect(!memo.changed)

        let second = LocalFileHasher(cacheDirectory: s.store.root)
        #expect(try second.hash(source).sha256 == Self.helloSHA)
        #expect(second.filesRead == 0)

        // New content of the same size with the old mtime restored still has a new inode (written by
        // rename), so it is hashed again.
        s.write("data/mine.txt", "HELLO\n")
        try setModified(url, secondsAgo: 10)
        let third = LocalFileHasher(cacheDirectory: s.store.root)
        #expect(try third.hash(source).sha256 != Self.helloSHA)
        #expect(third.filesRead == 1)
    }

    @Test func corruptMemoIsIgnoredAndRewritten() throws {
        let (s, file) = try scratch()
        try setModified(s.dir.appendingPathComponent("data/mine.txt"), secondsAgo: 3600)
        let key = try #require(try load(file).stage("data")?.key)
        let memoURL = s.store.root.appendingPathComponent(LocalHashMemo.fileName)
        for garbage in ["{\"format\": 1, \"files\": {\"/x\": {\"size\": \"big\"}}}", "not json at all", "", "{\"format\": 99, \"files\": {}}"] {
            try garbage.write(to: memoURL, atomically: true, encoding: .utf8)
            #expect(try load(file).stage("data")?.key == key)
            // Rewritten as a valid memo holding the file.
            let rewritten = LocalHashMemo(cacheDirectory: s.store.root)
            #expect(!rewritten.changed && rewritten.entries.count == 1)
        }
        // A memo that cannot be read or replaced (a folder in its place) does not stop anything.
        try FileManager.default.removeItem(at: memoURL)
        try FileManager.default.createDirectory(at: memoURL.appendingPathComponent("x"), withIntermediateDirectories: true)
        #expect(try load(file).stage("data")?.key == key)
        let r = try runLocal(file)
        #expect(r.exitStatus == 0 && r.stages["data"]?.key == key)
    }

    @Test func missingFileIsAValidationErrorAndLeavesTheCacheAlone() throws {
        let (s, file) = try scratch()
        let first = try runLocal(file)
        #expect(first.exitStatus == 0)
        let objects = try FileManager.default.contentsOfDirectory(atPath: s.store.objects.path).sorted()
        let runs = RunHistory(store: s.store).records().count
        s.takeExecutions()

        try FileManager.default.removeItem(at: s.dir.appendingPathComponent("data/mine.txt"))
        var caught: Error?
        do { _ = try runLocal(file) } catch { caught = error }
        let error = try #require(caught as? SpecErrors)
        #expect(RunOutcome.exitCode(for: error) == 2)
        let message = RunOutcome.message(for: error)
        let path = s.dir.appendingPathComponent("data/mine.txt").standardizedFileURL.path
        #expect(message.contains("""
            p.yaml:4:28: error: stage 'data': local file 'data/mine.txt' named by `path:` does not exist (\(path)); \
            create it or correct `path:` (a relative path starts at the pipeline file's folder, \(s.dir.standardizedFileURL.path))
                  data: {uses: read, path: data/mine.txt}
                                           ^
            """), "\(message)")
        #expect(message.hasSuffix("1 error found; nothing was run."))
        // Nothing ran, nothing was removed, no run was recorded.
        #expect(s.takeExecutions().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.store.objects.path).sorted() == objects)
        #expect(RunHistory(store: s.store).records().count == runs)
        // The plan reports the same error.
        #expect(throws: SpecErrors.self) { try load(file) }

        // A folder where a file is expected, and a `--set` override pointing nowhere.
        try FileManager.default.createDirectory(at: s.dir.appendingPathComponent("data/mine.txt"), withIntermediateDirectories: true)
        let folder = diagnosticsOf(file)
        #expect(folder.count == 1 && folder[0].contains("`path:` names 'data/mine.txt', which is a folder; give a file"), "\(folder)")
        let over = diagnosticsOf(file, overrides: ["stages.data.path=/no/such/file"])
        #expect(over.count == 1 && over[0].hasPrefix("--set:1:18: error: stage 'data': local file '/no/such/file' named by `path:` does not exist"),
                "\(over)")
    }

    func diagnosticsOf(_ file: URL, overrides: [String] = []) -> [String] {
        do {
            _ = try load(file, overrides: overrides)
            return []
        } catch let e as SpecErrors {
            return e.diagnostics.map(\.description)
        } catch {
            return ["unexpected: \(error)"]
        }
    }

    @Test func pinnedSourceIsNeverHashedForTheKey() throws {
        let pinned = Self.pipeline.replacingOccurrences(of: "path: data/mine.txt", with: "path: data/mine.txt, sha256: \(Self.helloSHA)")
        let (s, file) = try scratch(pipeline: pinned)
        let def = try load(file)
        #expect(def.stage("data")?.localFiles.isEmpty == true)
        #expect(def.stage("data")?.keyDocument["local_files"] == nil)
        // Content changes and even a missing file leave the key alone (the stage checks the pin when it runs).
        s.write("data/mine.txt", "hello again\n")
        #expect(try load(file).stage("data")?.key == def.stage("data")?.key)
        try FileManager.default.removeItem(at: s.dir.appendingPathComponent("data/mine.txt"))
        #expect(try load(file).stage("data")?.key == def.stage("data")?.key)
        #expect(!FileManager.default.fileExists(atPath: s.store.root.appendingPathComponent(LocalHashMemo.fileName).path))
    }

    @Test func unpinningTellsThePlanThatTheFileNowEntersTheKey() throws {
        let pinned = Self.pipeline.replacingOccurrences(of: "path: data/mine.txt", with: "path: data/mine.txt, sha256: \(Self.helloSHA)")
        let (s, file) = try scratch(pipeline: pinned)
        #expect(try runLocal(file).stages["data"]?.localFiles == nil)
        s.write("p.yaml", Self.pipeline)
        let plan = Plan(definition: try load(file), store: s.store)
        #expect(plan.entries.first { $0.stage == "data" }?.reasons
            == ["sha256: \(Self.helloSHA) → (absent)", "local file data/mine.txt now enters the key (not hashed in the last run)"])
    }

    @Test func stagesWithoutLocalSourcesKeepTheirKeyDocument() throws {
        let (s, file) = try scratch()
        let def = try load(file)
        for name in ["extra", "splits", "tuned", "report"] {
            #expect(def.stage(name)?.keyDocument["local_files"] == nil)
        }
        #expect(def.stage("data")?.keyDocument["local_files"] == .object(["path": .string(Self.helloSHA)]))
        withExtendedLifetime(s) {}
    }

    @Test func foldersAndCompanionFiles() throws {
        let (s, file) = try scratch(pipeline: """
            stages:
              beside: {uses: read, path: data/mine.txt, also: [extra.txt]}
              inside: {uses: read, path: data, folder: true, also: [mine.txt, extra.txt]}

            """)
        func hashes() throws -> (LocalFileHash, LocalFileHash) {
            let def = try load(file)
            return (try #require(def.stage("beside")?.localFiles["path"]), try #require(def.stage("inside")?.localFiles["path"]))
        }
        let (beside, inside) = try hashes()
        // Only files that exist are listed: the companion is absent so far.
        #expect(beside.files == ["mine.txt": Self.helloSHA] && inside.files == ["mine.txt": Self.helloSHA])
        #expect(beside.sha256 == inside.sha256 && beside.sha256 != Self.helloSHA)
        // The listing is `sha256sum`'s output format.
        let listing = s.write("listing", "\(Self.helloSHA)  mine.txt\n")
        #expect(try LocalFileHasher.sha256(of: listing.path) == beside.sha256)

        s.write("data/extra.txt", "hello again\n")
        let (beside2, inside2) = try hashes()
        #expect(beside2.files == ["mine.txt": Self.helloSHA, "extra.txt": Self.helloAgainSHA])
        #expect(beside2.sha256 != beside.sha256 && inside2.sha256 == beside2.sha256)
        s.write("listing", "\(Self.helloAgainSHA)  extra.txt\n\(Self.helloSHA)  mine.txt\n")
        #expect(try LocalFileHasher.sha256(of: listing.path) == beside2.sha256)
        // A file where a folder is expected.
        let wrong = diagnosticsOf(file, overrides: ["stages.inside.path=data/mine.txt"])
        #expect(wrong.count == 1 && wrong[0].contains("`path:` names 'data/mine.txt', which is not a folder"), "\(wrong)")
    }
}
