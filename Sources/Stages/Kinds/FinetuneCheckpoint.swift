import Foundation
import GPT
import TensorCore

/// Resumable state of a fine-tuning run, kept in the stage's work directory: the trainable tensors, the
/// optimizer state (both raw fp32 safetensors, so a resume is bit-identical), and where the loop stands.
///
/// Checkpoints are taken only right after an optimizer step, when no gradients are pending, so nothing about
/// a half-accumulated group needs saving. The data order is a function of the seed and the epoch, and
/// dropout masks a function of the seed and the micro-batch count, so the position in the loop restores them.
/// Each checkpoint is written to its own directory and published by atomically replacing `latest.json`;
/// a crash while writing leaves the previous checkpoint in force.
struct FinetuneCheckpoint {
    struct Position: Codable, Equatable {
        /// Optimizer steps done.
        var step = 0
        /// Epoch and index of the next training batch within it.
        var epoch = 0
        var batch = 0
        /// Micro-batches trained (the trainer's dropout counter).
        var microStep = 0
        var tokensSeen = 0
        /// Training wall time before this checkpoint, summed over runs.
        var seconds = 0.0
        var metrics = TrainingMetrics(trainLoss: [], valLoss: [], steps: [], tokensSeen: [], seconds: 0, tokensPerSecond: 0)

        enum CodingKeys: String, CodingKey {
            case step, epoch, batch, microStep = "micro_step", tokensSeen = "tokens_seen", seconds, metrics
        }
    }

    static let latestFile = "latest.json"
    static let weightsFile = "trainable.safetensors"
    static let optimizerFile = "optimizer.safetensors"
    static let positionFile = "position.json"

    let directory: URL

    private struct Latest: Codable { var directory: String }

    /// Writes a checkpoint of `parameters` (the trainable tensors), `optimizer` and `position`.
    func save(parameters: [(String, Tensor)], optimizer: Optimizer, position: Position) throws {
        let fm = FileManager.default
        let name = "checkpoint-\(position.step)"
        let dir = directory.appendingPathComponent(name)
        do {
            try? fm.removeItem(at: dir)
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            try SafetensorsWriter.write(parameters, to: dir.appendingPathComponent(Self.weightsFile))
            try optimizer.saveState(to: dir.appendingPathComponent(Self.optimizerFile))
            try ArtifactFiles.writeJSON(position, to: dir.appendingPathComponent(Self.positionFile))
            try ArtifactFiles.writeJSON(Latest(directory: name), to: directory.appendingPathComponent(Self.latestFile))
        } catch {
            throw FinetuneError.checkpoint(dir, error.localizedDescription)
        }
        // Older checkpoints are no longer needed once the new one is published.
        for old in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] where old.hasPrefix("checkpoint-") && old != name {
            try? fm.removeItem(at: directory.appendingPathComponent(old))
        }
    }

    /// Restores the latest checkpoint into `parameters` and `optimizer`; nil when there is none.
    func restore(parameters: [(String, Tensor)], optimizer: Optimizer) throws -> Position? {
        let latestURL = directory.appendingPathComponent(Self.latestFile)
        guard FileManager.default.fileExists(atPath: latestURL.path) else { return nil }
        let latest = try ArtifactFiles.readJSON(Latest.self, from: latestURL)
        let dir = directory.appendingPathComponent(latest.directory)
        do {
            let file = try SafetensorsFile(url: dir.appendingPathComponent(Self.weightsFile))
            let names = Set(file.names)
            for (name, tensor) in parameters {
                guard names.contains(name) else { throw FinetuneError.checkpoint(dir, "tensor '\(name)' is missing") }
                let saved = try file.tensor(name)
                guard saved.shape == tensor.shape else {
                    throw FinetuneError.checkpoint(dir, "tensor '\(name)' has shape \(saved.shape), the model \(tensor.shape)")
                }
                tensor.data.update(from: saved.data, count: tensor.count)
            }
            try optimizer.loadState(from: dir.appendingPathComponent(Self.optimizerFile))
            return try ArtifactFiles.readJSON(Position.self, from: dir.appendingPathComponent(Self.positionFile))
        } catch let error as FinetuneError {
            throw error
        } catch {
            throw FinetuneError.checkpoint(dir, error.localizedDescription)
        }
    }
}
