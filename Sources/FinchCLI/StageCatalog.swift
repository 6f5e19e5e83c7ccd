import Pipeline

/// The one place `finch` gets its stage kinds from. The `Stages` module will register the real
/// kinds (fetch, template, split, …) here; until then the registry is empty and pipelines report
/// their `uses:` as unknown, with line and column.
enum StageCatalog {
    static var registry: StageRegistry { StageRegistry() }
}
