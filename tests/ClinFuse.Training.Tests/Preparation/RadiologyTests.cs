using System.Globalization;
using System.IO.Compression;
using ClinFuse.Core;
using ClinFuse.Core.Stages;
using ClinFuse.Core.Tasks;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Mimic;
using ClinFuse.Features.Images;
using ClinFuse.Models.Checkpoints;
using ClinFuse.Training.Evaluation;
using ClinFuse.Preparation;
using ClinFuse.Training.Tests.Evaluation;

namespace ClinFuse.Training.Tests.Preparation;

/// <summary>
/// The radiology pre-training set (<c>prepare --radiology</c>) and the CXR encoder's radiology
/// pre-training (<c>pretrain --encoder cxr --labels radiology</c>) on the tiny synthetic cohort.
/// </summary>
[Collection(LibTorchCollection.Name)]
public sealed class RadiologyTests
{
    static readonly TrainedRunsFixture Runs = TrainedRunsFixture.Shared;
    static readonly Lazy<string> Store = new(() => PrepareStage.Run(
        new PrepareOptions(Runs.CohortFolder, ClinicalTask.InHospitalMortality, Runs.Scratch("radiology-store"), null, new ImagePreprocessing(ShorterSide: 64, SlotSize: 64), Radiology: true),
        new ComputeSettings(1), StageProgress.None).Folder);

    /// <summary>The labeller's raw cells per study, read independently of the product's reader.</summary>
    static Dictionary<long, string[]> RawChexpert(string cxrRoot)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(Path.Combine(cxrRoot, "mimic-cxr-2.0.0-chexpert.csv.gz")), CompressionMode.Decompress));
        var header = reader.ReadLine()!.Split(',');
        Assert.Equal(ChexpertLabels.Names, header[2..]);
        var rows = new Dictionary<long, string[]>();
        while (reader.ReadLine() is { } line)
        {
            var cells = line.Split(',');
            rows[long.Parse(cells[1], CultureInfo.InvariantCulture)] = cells[2..];
        }
        return rows;
    }

    [Fact]
    public void Every_labelled_image_of_the_cohort_subjects_is_one_sample_of_its_subjects_split_with_u_zeros_targets()
    {
        var store = PreparedStore.Open(Store.Value);
        Assert.Equal(ChexpertLabels.Names, store.RadiologyLabels);
        var cohort = CohortStore.Open(Runs.CohortFolder);
        var raw = RawChexpert(cohort.Manifest.Config["mimic_cxr"]!.GetValue<string>());
        var images = cohort.Images().Where(i => raw.ContainsKey(i.StudyId)).ToDictionary(i => i.DicomId);
        var table = File.ReadAllLines(Path.Combine(store.Folder, PreparedStore.RadiologyImagesFile)).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(images.Count, table.Count);
        Assert.Equal(images.Count, table.Select(r => r[1]).Distinct().Count());

        int uncertain = 0, positives = 0;
        foreach (var split in Splits.All)
        {
            using var prepared = store.OpenRadiologySplit(split);
            var rows = table.Where(r => r[4] == Splits.Name(split)).ToList();
            Assert.Equal(rows.Count, prepared.Count);
            for (int i = 0; i < prepared.Count; i++)
            {
                var sample = prepared.Get(i);
                var row = rows.Single(r => long.Parse(r[0], CultureInfo.InvariantCulture) == sample.StayId);
                var image = images[row[1]];
                Assert.Equal(Splits.Name(split), image.Split);
                Assert.True(sample.ImageSlot >= 0);
                Assert.Equal(new float[76], sample.Series);
                var cells = raw[image.StudyId];
                for (int k = 0; k < cells.Length; k++)
                {
                    // Only a positive finding is 1; negative, uncertain (-1) and blank are 0.
                    Assert.Equal(cells[k] == "1.0" ? 1f : 0f, sample.Labels[k]);
                    if (cells[k] == "-1.0") uncertain++;
                    if (cells[k] == "1.0") positives++;
                }
            }
        }
        Assert.True(uncertain > 0 && positives > 0, "the cohort should exercise positive and uncertain labels");
    }

    [Fact]
    public void Radiology_pretraining_gives_a_14_label_encoder_that_initialises_the_task_pretraining_backbone()
    {
        var config = Runs.Scratch("radiology-tiny.json");
        File.WriteAllText(config, """{ "LearningRate": 0.001, "Epochs": 1, "BatchSize": 4, "PrefetchDepth": 1 }""");
        var compute = new ComputeSettings(1);
        var radiologyRun = Runs.Scratch("radiology-run");
        using (var result = TrainingRun.Pretrain(new TrainingRequest(Store.Value, radiologyRun, 5, compute) { ConfigFile = config, Force = true },
                   cxr: true, StageProgress.None, labels: PretrainLabels.Radiology).Model)
        {
            Assert.Equal(14, result.Network.state_dict()["cxr_model.classifier.0.weight"].shape[0]);
        }
        var predictions = ClinFuse.Evaluation.PredictionsFile.Read(Path.Combine(radiologyRun, ClinFuse.Training.Evaluation.RunEvaluation.PredictionsFileName(ClinFuse.Core.Tasks.Split.Validation)));
        Assert.Equal(ChexpertLabels.Names, predictions.Labels);

        // The task pre-training starts from the radiology backbone; only the 14-label head is left behind.
        var taskRun = Runs.Scratch("radiology-then-task");
        using var task = TrainingRun.Pretrain(new TrainingRequest(Store.Value, taskRun, 5, compute) { ConfigFile = config, Force = true, CxrEncoderRun = radiologyRun },
            cxr: true, StageProgress.None).Model;
        Assert.Equal(1, task.Network.state_dict()["cxr_model.classifier.0.weight"].shape[0]);
        var loaded = EncoderTransfer.Load(task.Network, new EncoderInit(Path.Combine(radiologyRun, "best.safetensors"), EncoderTransfer.Cxr));
        Assert.Contains("cxr_model.vision_backbone.conv1.weight", loaded);
        Assert.DoesNotContain(loaded, n => n.StartsWith("cxr_model.classifier.", StringComparison.Ordinal));
    }

    [Fact]
    public void Radiology_labels_are_refused_for_the_ehr_encoder_and_for_a_store_without_them()
    {
        var ehr = Assert.Throws<ClinFuseException>(() => TrainingRun.Pretrain(new TrainingRequest(Store.Value, Runs.Scratch("x"), 5, new ComputeSettings(1)),
            cxr: false, StageProgress.None, labels: PretrainLabels.Radiology));
        Assert.Contains("CXR encoder only", ehr.Message);
        var none = Assert.Throws<ClinFuseException>(() => TrainingRun.Pretrain(new TrainingRequest(Runs.StoreFolder, Runs.Scratch("y"), 5, new ComputeSettings(1)),
            cxr: true, StageProgress.None, labels: PretrainLabels.Radiology));
        Assert.Contains("no radiology pre-training set", none.Message);
        Assert.False(Directory.Exists(Runs.Scratch("y")));
    }
}
