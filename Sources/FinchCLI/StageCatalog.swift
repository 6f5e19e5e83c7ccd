import Pipeline
import Stages

/// The one place `finch` gets its stage kinds from.
enum StageCatalog {
    static var registry: StageRegistry { StageKinds.registry() }
}
