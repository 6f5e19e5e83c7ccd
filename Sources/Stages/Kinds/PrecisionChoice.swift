import Pipeline
import TensorCore

/// `precision: fp32 | bf16` in stage configurations (finetune: matrix products; generate: decode weights),
/// listed so that a typo is reported with the choices.
public enum PrecisionChoice: String, Codable, Sendable, CaseIterable, ConfigChoices {
    case fp32, bf16
    var precision: Precision { self == .fp32 ? .fp32 : .bf16 }
}
