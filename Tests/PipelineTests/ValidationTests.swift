import Foundation
import Pipeline
import Testing

/// One case per kind of error; each checks FILE:LINE:COL, the message, and the quoted line.
@Suite struct ValidationTests {
    func only(_ text: String, overrides: [String] = []) -> String {
        let d = diagnostics(text, overrides: overrides)
        #expect(d.count == 1, "expected one diagnostic, got \(d)")
        return d.first ?? ""
    }

    @Test func validPipelineHasNoErrors() {
        #expect(diagnostics(basePipeline).isEmpty)
    }

    @Test func yamlSyntaxError() {
        let d = only("name: x\nstages:\n  a: {uses: source\n  b: 1\n")
        #expect(d.hasPrefix("p.yaml:4:4: error: YAML syntax:"), "\(d)")
    }

    @Test func unknownKeyWithSuggestion() {
        let d = only(basePipeline.replacingOccurrences(of: "epochs: 2", with: "epohcs: 2"))
        #expect(d.hasPrefix("p.yaml:10:5: error: unknown key 'epohcs' (did you mean 'epochs'?)"), "\(d)")
        #expect(d.contains("\n        epohcs: 2\n        ^"), "\(d)")
    }

    @Test func unknownNestedKey() {
        let d = only(basePipeline.replacingOccurrences(of: "lr: 5.0e-5", with: "lr: 5.0e-5, weight_decy: 0.1"))
        #expect(d.contains("p.yaml:11:42: error: unknown key 'weight_decy' in 'optimizer' (did you mean 'weight_decay'?)"), "\(d)")
    }

    @Test func unknownTopLevelKey() {
        let d = only(basePipeline.replacingOccurrences(of: "seed: 123", with: "sed: 123"))
        #expect(d.hasPrefix("p.yaml:2:1: error: unknown top-level key 'sed' (did you mean 'seed'?)"), "\(d)")
    }

    @Test func wrongType() {
        let d = only(basePipeline.replacingOccurrences(of: "epochs: 2", with: "epochs: two"))
        #expect(d.hasPrefix("p.yaml:10:13: error: expected an integer for 'epochs', found 'two'"), "\(d)")
    }

    @Test func quotedNumberIsNotANumber() {
        let d = only(basePipeline.replacingOccurrences(of: "lr: 5.0e-5", with: "lr: \"5.0e-5\""))
        #expect(d.contains("error: expected a number for 'optimizer.lr', found '5.0e-5'"), "\(d)")
    }

    @Test func invalidEnumValue() {
        let d = only(basePipeline.replacingOccurrences(of: "kind: adamw", with: "kind: adamx"))
        #expect(d.hasPrefix("p.yaml:11:23: error: 'adamx' is not a valid value for 'optimizer.kind' (did you mean 'adamw'?); expected one of: adamw, sgd"), "\(d)")
    }

    @Test func missingRequiredField() {
        let d = only(basePipeline.replacingOccurrences(of: "    data: splits\n", with: ""))
        #expect(d.hasPrefix("p.yaml:7:3: error: missing required field 'data'"), "\(d)")
    }

    @Test func unknownUses() {
        let d = only(basePipeline.replacingOccurrences(of: "uses: combine", with: "uses: combin"))
        #expect(d.hasPrefix("p.yaml:12:18: error: unknown stage kind 'combin' (did you mean 'combine'?); known kinds: combine, source, split, train"), "\(d)")
    }

    @Test func referenceToUnknownStage() {
        let d = only(basePipeline.replacingOccurrences(of: "inputs: [tuned, extra]", with: "inputs: [tuned, extr]"))
        #expect(d.hasPrefix("p.yaml:12:43: error: stage 'report' refers to unknown stage 'extr' (did you mean 'extra'?)"), "\(d)")
    }

    @Test func referenceOfWrongArtifactType() {
        let d = only(basePipeline.replacingOccurrences(of: "data: splits", with: "data: data"))
        #expect(d.hasPrefix("p.yaml:9:11: error: stage 'data' (uses: source) produces numbers, but this reference needs splits"), "\(d)")
    }

    @Test func cycleIsNamed() {
        let text = """
        name: c
        stages:
          a: {uses: combine, inputs: [c]}
          b: {uses: combine, inputs: [a]}
          c: {uses: combine, inputs: [b]}
        """
        let d = only(text)
        #expect(d.hasPrefix("p.yaml:3:31: error: dependency cycle: a → b → c → a"), "\(d)")
    }

    @Test func duplicateStageNames() {
        let d = only(basePipeline + "  extra: {uses: source}\n")
        #expect(d.hasPrefix("p.yaml:13:3: error: duplicate stage name 'extra' (first defined at line 5)"), "\(d)")
    }

    @Test func outOfRangeLearningRate() {
        let d = only(basePipeline.replacingOccurrences(of: "lr: 5.0e-5", with: "lr: -1e-4"))
        #expect(d.hasPrefix("p.yaml:11:34: error: learning rate must be positive, got -0.0001"), "\(d)")
    }

    @Test func fractionsMustSumToOne() {
        let d = only(basePipeline.replacingOccurrences(of: "train: 0.8", with: "train: 0.85"))
        #expect(d.hasPrefix("p.yaml:6:44: error: split fractions train + test + validation must sum to 1"), "\(d)")
    }

    @Test func overrideErrorsPointAtTheArgument() {
        let d = only(basePipeline, overrides: ["stages.tuned.optimizer.lr=abc"])
        #expect(d.hasPrefix("--set:1:27: error: expected a number for 'optimizer.lr', found 'abc'"), "\(d)")
        #expect(d.contains("\n    stages.tuned.optimizer.lr=abc\n                              ^"), "\(d)")
        let unknown = only(basePipeline, overrides: ["stages.tunedd.epochs=3"])
        #expect(unknown.contains("--set:1:1: error: no stage named 'tunedd' in the pipeline (did you mean 'tuned'?)"), "\(unknown)")
        let nested = only(basePipeline, overrides: ["stages.data.extra.deeper.x=1"])
        #expect(nested.hasPrefix("--set:1:1: error: unknown key 'extra'"), "\(nested)")
        #expect(diagnostics(basePipeline, overrides: ["stages.tuned.optimizer.weight_decay=0.1", "stages.splits.train=0.7",
                                                      "stages.splits.validation=0.2"]).isEmpty)
    }

    @Test func allErrorsAreReportedAtOnce() {
        let text = basePipeline
            .replacingOccurrences(of: "epochs: 2", with: "epochs: two")
            .replacingOccurrences(of: "uses: combine", with: "uses: combin")
            .replacingOccurrences(of: "train: 0.8", with: "train: 0.9")
            .replacingOccurrences(of: "text: b", with: "txt: b")
        let d = diagnostics(text)
        #expect(d.count == 4, "\(d)")
    }

    @Test func emptyAndNonMappingFiles() {
        #expect(only("").hasPrefix("p.yaml:1:1: error: empty pipeline file"))
        #expect(only("# only a comment\n").hasPrefix("p.yaml:1:1: error: empty pipeline file"))
        #expect(only("- a\n- b\n").contains("error: a pipeline file is a mapping"))
    }
}
