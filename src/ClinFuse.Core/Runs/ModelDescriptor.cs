using System.Text.Json.Serialization;

namespace ClinFuse.Core.Runs;

/// <summary>
/// What a trained run is, recorded in its config.json when it is trained and read by evaluation,
/// robustness, prediction and the report: the name its results are reported under (the paper's row
/// names), the model, its loss, whether its images were CLAHE'd, its task, and the pre-trained
/// encoders it started from.
/// </summary>
/// <param name="Name">The reported name, e.g. "Attention + Uncertainty + CLAHE" (docs/report.md).</param>
/// <param name="Model">The model (<c>ModelKind</c> name, e.g. "Attention", "UniEhr", "Card").</param>
/// <param name="Loss">The training loss (<c>LossKind</c> name).</param>
/// <param name="Clahe">Whether the model reads images and they were CLAHE'd by <c>prepare</c>.</param>
/// <param name="Task">The task's full name (<see cref="Tasks.ClinicalTasks.Name"/>), or "radiology" for the CXR encoder's radiology pre-training.</param>
/// <param name="Encoders">The pre-trained encoders' checkpoints the run started from.</param>
public sealed record ModelDescriptor(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("loss")] string Loss,
    [property: JsonPropertyName("clahe")] bool Clahe,
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("encoders")] IReadOnlyList<string> Encoders)
{
    /// <summary>The key of the descriptor in a run's config.json.</summary>
    public const string ConfigKey = "descriptor";
}
