using ClinFuse.Core;
using ClinFuse.Core.Tasks;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;

namespace ClinFuse.Training.Recipes;

/// <summary>
/// The paper's training recipe as named presets (batch 16, Adam). Learning rates are the paper's;
/// the published scripts differ for phenotyping pre-training (image 1e-4, series 5.3985e-4) and
/// IHM pre-training (series 5.4e-4) — pass --lr to use those.
/// </summary>
public static class RecipePresets
{
    static readonly Dictionary<string, TrainingConfig> Presets = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ihm-pretrain-ehr"] = new() { Recipe = "ihm-pretrain-ehr", Model = ModelKind.UniEhr, TrainData = DatasetMode.PartialEhrOnly, LearningRate = 3e-5, Epochs = 100 },
        ["ihm-pretrain-cxr"] = new() { Recipe = "ihm-pretrain-cxr", Model = ModelKind.UniCxr, TrainData = DatasetMode.Paired, LearningRate = 5e-4, Epochs = 50 },
        ["ihm-finetune"] = new() { Recipe = "ihm-finetune", Model = ModelKind.Attention, TrainData = DatasetMode.Partial, Loss = LossKind.Uncertainty, LearningRate = 1e-4, Epochs = 50 },
        ["pheno-pretrain-ehr"] = new() { Recipe = "pheno-pretrain-ehr", Model = ModelKind.UniEhr, TrainData = DatasetMode.PartialEhrOnly, LearningRate = 1e-4, Epochs = 100 },
        ["pheno-pretrain-cxr"] = new() { Recipe = "pheno-pretrain-cxr", Model = ModelKind.UniCxr, TrainData = DatasetMode.Paired, LearningRate = 5e-4, Epochs = 100 },
        [RadiologyPretrain] = new() { Recipe = RadiologyPretrain, Model = ModelKind.UniCxr, TrainData = DatasetMode.Paired, LearningRate = 5e-4, Epochs = 100 },
        ["pheno-finetune"] = new() { Recipe = "pheno-finetune", Model = ModelKind.Attention, TrainData = DatasetMode.Partial, Loss = LossKind.Uncertainty, LearningRate = 7e-5, Epochs = 100 },
    };

    /// <summary>The CXR encoder's radiology pre-training (14 CheXpert labels; the paper's code's script: lr 5e-4, 100 epochs), for either task.</summary>
    public const string RadiologyPretrain = "radiology-pretrain-cxr";

    /// <summary>Names of the presets.</summary>
    public static IReadOnlyCollection<string> Names => Presets.Keys;

    /// <summary>The preset called <paramref name="name"/>.</summary>
    public static TrainingConfig Get(string name) =>
        Presets.TryGetValue(name, out var config)
            ? config
            : throw new ClinFuseException($"Unknown recipe '{name}'.", $"Use one of: {string.Join(", ", Presets.Keys)}.");

    /// <summary>The preset for a task and stage ("pretrain-ehr", "pretrain-cxr", "finetune").</summary>
    public static TrainingConfig For(ClinicalTask task, string stage) => Get($"{ClinicalTasks.RecipePrefix(task)}-{stage}");
}
