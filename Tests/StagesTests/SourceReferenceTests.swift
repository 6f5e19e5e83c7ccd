import Foundation
import Testing
@testable import Stages

@Suite struct SourceReferenceTests {
    let base = URL(fileURLWithPath: "/work/pipelines")

    @Test func parsesEveryForm() throws {
        #expect(try SourceReference("data/x.json", relativeTo: base) == .local(URL(fileURLWithPath: "/work/pipelines/data/x.json")))
        #expect(try SourceReference("../d.json", relativeTo: base) == .local(URL(fileURLWithPath: "/work/d.json")))
        #expect(try SourceReference("/abs/d.json", relativeTo: base) == .local(URL(fileURLWithPath: "/abs/d.json")))
        #expect(try SourceReference("file:///abs/d.json", relativeTo: base) == .local(URL(fileURLWithPath: "/abs/d.json")))
        #expect(try SourceReference("https://example.org/a.json", relativeTo: base) == .remote(URL(string: "https://example.org/a.json")!))
        #expect(try SourceReference("hf://openai-community/gpt2", relativeTo: base)
                == .huggingFaceRepo(owner: "openai-community", repo: "gpt2", revision: "main"))
        #expect(try SourceReference("hf://openai-community/gpt2-medium/model.safetensors", relativeTo: base)
                == .remote(URL(string: "https://huggingface.co/openai-community/gpt2-medium/resolve/main/model.safetensors")!))
        #expect(try SourceReference("hf://o/r@v1.0/sub/dir/f.json", relativeTo: base)
                == .remote(URL(string: "https://huggingface.co/o/r/resolve/v1.0/sub/dir/f.json")!))
        let repo = try SourceReference("hf://o/r", relativeTo: base)
        #expect(try repo.file("config.json") == .remote(URL(string: "https://huggingface.co/o/r/resolve/main/config.json")!))
    }

    @Test func rejectsBadSources() {
        #expect(throws: SourceError.unsupportedScheme("ftp://x/y", "ftp")) { try SourceReference("ftp://x/y", relativeTo: base) }
        #expect(throws: SourceError.badHuggingFace("hf://onlyowner")) { try SourceReference("hf://onlyowner", relativeTo: base) }
        #expect(throws: SourceError.emptySource) { try SourceReference(" ", relativeTo: base) }
        #expect(throws: SourceError.neitherURLNorPath) { try FetchConfig().source(relativeTo: base) }
        #expect(throws: SourceError.bothURLAndPath) { try FetchConfig(url: "https://a/b", path: "b").source(relativeTo: base) }
    }
}
