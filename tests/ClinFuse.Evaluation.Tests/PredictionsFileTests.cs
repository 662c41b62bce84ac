using ClinFuse.Core;

namespace ClinFuse.Evaluation.Tests;

public sealed class PredictionsFileTests
{
    [Fact]
    public void WriteThenReadGivesTheSameSetAndMetadata()
    {
        using var folder = Fixtures.TempFolder();
        var set = EvaluatorTests.RandomSet(1, 30, ["Congestive heart failure; nonhypertensive", "with, comma", "quote \" inside"]);
        set = new PredictionSet(set.SampleIds, set.Labels, set.Truth, set.Probabilities,
            new PredictionMetadata("phenotyping", "Attention + CLAHE", "test", [new("seed", "42")]));
        var path = folder.Combine("predictions.csv");
        PredictionsFile.Write(path, set);
        var read = PredictionsFile.Read(path);
        Assert.Equal(set.SampleIds, read.SampleIds);
        Assert.Equal(set.Labels, read.Labels);
        for (int l = 0; l < set.Labels.Count; l++)
        {
            Assert.Equal(set.Truth[l], read.Truth[l]);
            Assert.Equal(set.Probabilities[l], read.Probabilities[l]);
        }
        Assert.Equal("phenotyping", read.Metadata.Task);
        Assert.Equal("Attention + CLAHE", read.Metadata.Model);
        Assert.Equal("test", read.Metadata.Split);
        Assert.Equal([new KeyValuePair<string, string>("seed", "42")], read.Metadata.Extra!);
        Assert.Single(Directory.GetFiles(folder.Path));
    }

    public static TheoryData<string, string, string> BadFiles() => new()
    {
        { "", "no header", "empty file" },
        { "# task=ihm\n", "no header", "only comments" },
        { "sample_id,mortality_true,mortality_prob\n", "no samples", "header only" },
        { "id,mortality_true,mortality_prob\n1,0,0.2\n", "'sample_id'", "wrong id column" },
        { "sample_id,mortality_true\n1,0\n", "no 'mortality_prob'", "missing probability column" },
        { "sample_id,mortality_prob\n1,0.3\n", "no 'mortality_true'", "missing truth column" },
        { "sample_id,mortality_true,mortality_prob,extra\n1,0,0.2,x\n", "column 'extra'", "unknown column" },
        { "sample_id,mortality_true,mortality_prob,mortality_prob\n1,0,0.2,0.3\n", "occurs twice", "duplicate column" },
        { "sample_id,mortality_true,mortality_prob\n1,0,0.2\n2,1\n", "line 3: 2 fields", "short row" },
        { "sample_id,mortality_true,mortality_prob\n1,0,0.2\n1,1,0.4\n", "line 3: sample_id '1' already occurs on line 2", "duplicate id" },
        { "sample_id,mortality_true,mortality_prob\n1,0,NaN\n", "line 2, column 'mortality_prob': probability is NaN", "NaN" },
        { "sample_id,mortality_true,mortality_prob\n1,0,1.5\n", "outside [0, 1]", "above one" },
        { "sample_id,mortality_true,mortality_prob\n1,0,-0.1\n", "outside [0, 1]", "negative" },
        { "sample_id,mortality_true,mortality_prob\n1,0,abc\n", "'abc' is not a number", "text probability" },
        { "sample_id,mortality_true,mortality_prob\n1,2,0.3\n", "column 'mortality_true': '2' is not a label", "truth not 0/1" },
        { "sample_id,mortality_true,mortality_prob\n,0,0.3\n", "empty sample_id", "empty id" },
        { "sample_id,\"mortality_true,mortality_prob\n1,0,0.3\n", "unterminated", "broken quote" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void BadFilesAreClearErrorsNamingTheFileAndPlace(string content, string expectedMessage, string why)
    {
        using var folder = Fixtures.TempFolder();
        var path = folder.Combine("predictions.csv");
        File.WriteAllText(path, content);
        var error = Assert.Throws<ClinFuseException>(() => PredictionsFile.Read(path));
        Assert.True(error.Message.Contains(expectedMessage), $"{why}: message was: {error.Message}");
        Assert.StartsWith(path, error.Message);
    }

    [Fact]
    public void AMissingFileIsAClearError()
    {
        var error = Assert.Throws<ClinFuseException>(() => PredictionsFile.Read("/nonexistent/predictions.csv"));
        Assert.Contains("/nonexistent/predictions.csv", error.Message);
        Assert.NotNull(error.Hint);
    }

    [Fact]
    public void EvaluateStageWritesMetricsAndRejectsBadOptions()
    {
        using var folder = Fixtures.TempFolder();
        var predictions = folder.Combine("p.csv");
        PredictionsFile.Write(predictions, EvaluatorTests.RandomSet(2, 40, ["mortality"], task: "ihm"));
        var json = folder.Combine("out", "metrics.json");
        var result = EvaluateStage.Run(new EvaluateRequest(predictions, 50, 1, json, ComparePath: predictions), new ComputeSettings(2));
        Assert.Equal(result.Summary.Auroc.Macro, MetricsJson.Read(json).Summary.Auroc.Macro);
        Assert.NotNull(result.Comparison);
        Assert.Contains("AUROC macro (1/1 labels)", MetricsText.Render(result));
        Assert.Throws<ClinFuseException>(() => EvaluateStage.Run(new EvaluateRequest(predictions, -1, 1), new ComputeSettings(1)));
        Assert.Throws<ClinFuseException>(() => EvaluateStage.Run(new EvaluateRequest(predictions, 0, 1, ComparePath: predictions), new ComputeSettings(1)));
    }
}
