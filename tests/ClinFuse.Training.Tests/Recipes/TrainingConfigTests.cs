using ClinFuse.Core.Tasks;
using ClinFuse.Core;
using ClinFuse.Models.Networks;
using ClinFuse.Models.Training;
using ClinFuse.Training.Data;
using ClinFuse.Preparation;
using ClinFuse.Training.Recipes;

namespace ClinFuse.Training.Tests.Recipes;

public sealed class TrainingConfigTests
{
    public static TheoryData<string, string> BadConfigs => new()
    {
        { """{ "LearningRate": 0 }""", "learning rate" },
        { """{ "LearningRate": -1e-4 }""", "learning rate" },
        { """{ "Epochs": 0 }""", "epochs" },
        { """{ "Epochs": 1, "Compat": "MedFuse" }""", "epochs − 1" },
        { """{ "BatchSize": 0 }""", "batch size" },
        { """{ "PlateauFactor": 1.5 }""", "plateau factor" },
        { """{ "GradientClipNorm": 0 }""", "clip" },
        { """{ "Model": "UniCxr", "TrainData": "Partial" }""", "Paired" },
        { """{ "Model": "Attention", "TrainData": "PartialEhrOnly" }""", "needs images" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void Invalid_settings_are_reported_by_name(string json, string expected)
    {
        using var dir = Fixtures.TempFolder();
        var path = dir.Combine("config.json");
        File.WriteAllText(path, json);
        var error = Assert.Throws<ClinFuseException>(() => TrainingConfig.Load(path).Validate());
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("""{ "LearningRat": 0.1 }""", "LearningRat")]
    [InlineData("""{ "Model": "Transformer" }""", "Model")]
    [InlineData("""{ "Epochs": "ten" }""", "Epochs")]
    [InlineData("not json", "config.json")]
    [InlineData("null", "empty")]
    public void Malformed_files_name_the_file_and_the_property(string json, string expected)
    {
        using var dir = Fixtures.TempFolder();
        var path = dir.Combine("config.json");
        File.WriteAllText(path, json);
        var error = Assert.Throws<ClinFuseException>(() => TrainingConfig.Load(path));
        Assert.Contains(expected, error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_written_configuration_reads_back_equal()
    {
        using var dir = Fixtures.TempFolder();
        var config = RecipePresets.Get("pheno-finetune") with { GradientClipNorm = 1.0, Architecture = new ArchitectureSettings { EhrHidden = 32, VisionNumClasses = 14 } };
        var path = dir.Combine("config.json");
        File.WriteAllText(path, config.ToJson());
        var read = TrainingConfig.Load(path);
        Assert.Equal(config.ToJson(), read.ToJson());
        Assert.Equal(config with { Architecture = read.Architecture }, read);
        Assert.Equal(config.Architecture, read.Architecture);
    }

    [Fact]
    public void Presets_carry_the_papers_learning_rates_and_validate()
    {
        Assert.Equal(3e-5, RecipePresets.Get("ihm-pretrain-ehr").LearningRate);
        Assert.Equal(5e-4, RecipePresets.Get("ihm-pretrain-cxr").LearningRate);
        Assert.Equal(1e-4, RecipePresets.Get("ihm-finetune").LearningRate);
        Assert.Equal(1e-4, RecipePresets.Get("pheno-pretrain-ehr").LearningRate);
        Assert.Equal(5e-4, RecipePresets.Get("pheno-pretrain-cxr").LearningRate);
        Assert.Equal(7e-5, RecipePresets.For(ClinicalTask.Phenotyping, "finetune").LearningRate);
        foreach (var name in RecipePresets.Names)
        {
            var preset = RecipePresets.Get(name);
            preset.Validate();
            Assert.Equal(16, preset.BatchSize);
        }
        Assert.Equal(LossKind.Uncertainty, RecipePresets.Get("ihm-finetune").Loss);
        Assert.Equal(ModelKind.UniCxr, RecipePresets.Get("pheno-pretrain-cxr").Model);
        Assert.Throws<ClinFuseException>(() => RecipePresets.Get("nope"));
    }

    [Fact]
    public void Compat_mode_selects_the_reference_betas_and_epoch_count()
    {
        var reference = new TrainingConfig { Compat = CompatMode.MedFuse, Epochs = 50, LearningRate = 1e-4 };
        Assert.Equal((0.9, 0.9), (reference.Adam.Beta1, reference.Adam.Beta2));
        Assert.Equal(49, reference.TrainingIterations);
        var standard = reference with { Compat = CompatMode.None };
        Assert.Equal(0.999, standard.Adam.Beta2);
        Assert.Equal(50, standard.TrainingIterations);
        Assert.Equal(7e-4, standard.Adam.LossLearningRate);
    }

    [Fact]
    public void Paired_only_validation_is_the_reference_parity_option()
    {
        var partial = new TrainingConfig { TrainData = DatasetMode.Partial };
        Assert.Equal(DatasetMode.Partial, partial.ValidationData);
        Assert.Equal(DatasetMode.Paired, (partial with { ValidateOnPairedOnly = true }).ValidationData);
        Assert.Equal(DatasetMode.PairedEhrOnly, new TrainingConfig { TrainData = DatasetMode.PartialEhrOnly, ValidateOnPairedOnly = true }.ValidationData);
    }
}
