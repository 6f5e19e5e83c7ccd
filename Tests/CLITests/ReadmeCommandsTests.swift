import Foundation
import Testing
import TestSupport

/// The README's two commands must be the ones CI runs, so the instructions a newcomer follows are tested
/// on every CI run.
@Suite struct ReadmeCommandsTests {
    static func read(_ path: String) throws -> String {
        try String(contentsOf: SharedData.packageRoot.appendingPathComponent(path), encoding: .utf8)
    }

    /// The commands of the first ```sh block under "## Two commands", comments stripped.
    static func readmeCommands() throws -> [String] {
        let readme = try read("README.md")
        let section = try #require(readme.components(separatedBy: "## Two commands").dropFirst().first)
        let block = try #require(section.components(separatedBy: "```sh\n").dropFirst().first?.components(separatedBy: "```").first)
        return block.split(separator: "\n").map { line in
            String(line.split(separator: "#", maxSplits: 1).first ?? "").trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
    }

    @Test func ciRunsTheReadmeCommands() throws {
        let commands = try Self.readmeCommands()
        #expect(commands.count == 2, "the README should show exactly two commands, found \(commands)")
        let ci = try Self.read(".ci/run").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let (setup, test) = (commands[0], commands[1])
        #expect(ci.contains(test), ".ci/run does not run the README's test command `\(test)`")
        // CI installs through the same script (without building release or running the quickstart).
        let script = try #require(setup.split(separator: " ").first.map(String.init))
        #expect(ci.contains { $0.hasPrefix(script) }, ".ci/run does not use the README's setup script \(script)")
        #expect(FileManager.default.isExecutableFile(atPath: SharedData.packageRoot.appendingPathComponent(script).path))
    }
}
