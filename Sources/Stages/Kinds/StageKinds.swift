import Pipeline

/// Every stage kind Finch ships, by its `uses:` name.
public enum StageKinds {
    public static func registry() -> StageRegistry {
        var r = StageRegistry()
        r.register(FetchKind())
        r.register(SyntheticKind())
        r.register(TemplateKind())
        r.register(SplitKind())
        r.register(TokenizerKind())
        r.register(ModelKind())
        r.register(FinetuneStage())
        r.register(GenerateStage())
        r.register(JudgeKind())
        r.register(ReportKind())
        return r
    }
}
