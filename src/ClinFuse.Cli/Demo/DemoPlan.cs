using System.Globalization;
using ClinFuse.Core.Tasks;
using ClinFuse.Evaluation;
using ClinFuse.Training.Runs;

namespace ClinFuse.Cli.Demo;

/// <summary>One step of the demo: a <c>clinfuse</c> command line and the file that shows it is done.</summary>
/// <param name="Title">What the step does, for the plan and progress.</param>
/// <param name="Arguments">The command line, without the program name.</param>
/// <param name="DoneMarker">The file the step writes last; <see cref="DemoStepLog"/> records its hash to skip the step on a rerun.</param>
internal sealed record DemoStep(string Title, string[] Arguments, string DoneMarker)
{
    /// <summary>The command as a user would type it.</summary>
    public string CommandLine => "clinfuse " + string.Join(' ', Arguments.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
}

/// <summary>Sizes of a demo run.</summary>
/// <param name="Patients">Synthetic patients.</param>
/// <param name="PretrainEpochs">Epochs of each encoder pre-training.</param>
/// <param name="FinetuneEpochs">Epochs of each fusion fine-tuning.</param>
/// <param name="NoiseLevels">Noise levels (percent) of the robustness sweep.</param>
/// <param name="Ablation">Also train the ablation rows (attention without CLAHE, with and without the uncertainty loss).</param>
/// <param name="BatchSize">Samples per batch (the reference's 16; smaller for tiny cohorts, whose paired sets hold few images).</param>
/// <param name="PretrainLearningRate">Learning rate of the encoder pre-training. The paper's rates suit 40k stays and up to 100 epochs; a demo of a few hundred stays and a few epochs needs larger steps.</param>
/// <param name="FinetuneLearningRate">Learning rate of the fusion fine-tuning.</param>
/// <param name="Baselines">Also train the paper's baselines (Contrastive + ViT and CARD, CPU sizes; each pre-trains for <paramref name="PretrainEpochs"/> and trains for <paramref name="FinetuneEpochs"/>).</param>
/// <param name="ImageSize">Side of the cached images (<c>prepare --image-size</c>); the networks see 7/8 of it (the paper: 256 → 224).</param>
/// <param name="NoisyTrain">Also run the train-noisy/test-noisy protocol (Table IV), which retrains the fusion models once per noise level.</param>
/// <param name="RadiologyEpochs">Epochs of the CXR encoder's radiology pre-training on the 14 CheXpert labels of every training subject's X-ray, before its task pre-training; 0 = none (the task pre-training starts from random weights).</param>
/// <param name="TransferLearningRate">
/// Learning rate of the CXR task pre-training when it starts from the radiology encoder. At the
/// from-scratch rate (1e-3) a few hundred paired images pull the transferred network away within two
/// epochs: its validation loss rose from 0.65 to 5.2 (seed 42, 800 patients) while the training loss
/// fell; at 1e-4 it stays between 0.54 and 0.63.
/// </param>
internal sealed record DemoSize(int Patients, int PretrainEpochs, int FinetuneEpochs, int[] NoiseLevels, bool Ablation, int BatchSize = 16,
    double PretrainLearningRate = 1e-3, double FinetuneLearningRate = 3e-4, bool Baselines = false, int ImageSize = 128, int RadiologyEpochs = 4,
    bool NoisyTrain = false, double TransferLearningRate = 1e-4)
{
    /// <summary>
    /// The default demo, sized for about 15 minutes on 2 cores: 800 patients, 128-px images, the CXR
    /// encoders pre-trained on radiology labels of every training subject's X-ray before the task labels.
    /// </summary>
    public static DemoSize Standard { get; } = new(800, 6, 4, [20, 40, 60], Ablation: false);

    /// <summary>The standard demo plus the ablation rows (attention with and without CLAHE and the uncertainty loss) and the paper baselines.</summary>
    public static DemoSize Full { get; } = Standard with { Patients = 1500, PretrainEpochs = 8, FinetuneEpochs = 6, NoiseLevels = [10, 20, 30, 40, 50, 60], Ablation = true, Baselines = true };

    /// <summary>
    /// A replication-size run (about two and a half hours on 2 cores): 3,200 patients, the size from which the
    /// series and image models come within 0.05 of their oracles, with every table: the ablation rows,
    /// both baselines, all six noise levels and both noise protocols. Epochs and image size are the
    /// standard demo's; <c>--patients</c> scales it up.
    /// </summary>
    public static DemoSize Large { get; } = Standard with { Patients = 3200, NoiseLevels = [10, 20, 30, 40, 50, 60], Ablation = true, Baselines = true, NoisyTrain = true };

    /// <summary>A smoke run of every stage and model (CI): tiny cohort, one epoch.</summary>
    public static DemoSize Quick { get; } = new(120, 1, 1, [30], Ablation: false, BatchSize: 4, Baselines: true, RadiologyEpochs: 1);
}

/// <summary>
/// The demo as a list of ordinary <c>clinfuse</c> commands on one task — phenotyping by default (the
/// paper's Tables II–VI and Fig. 4), or in-hospital mortality (Table I): synthesise a cohort, extract it, prepare it with and without CLAHE,
/// pre-train both encoders, fine-tune the fusion models and the baselines, evaluate them, sweep
/// noise, and report. Every step writes its own folder under the demo folder, so each can be rerun
/// or inspected alone, and the printed plan is exactly what a user would type.
/// </summary>
internal static class DemoPlan
{
    /// <summary>A model run the report reads.</summary>
    /// <param name="Folder">The run folder.</param>
    /// <param name="Title">The row title.</param>
    /// <param name="Ceiling">The oracle that bounds it: the series alone, the image alone, or every modality a stay has.</param>
    public sealed record ModelRun(string Folder, string Title, OracleView Ceiling = OracleView.Available);

    /// <summary>
    /// Every training step of the demo selects its epoch on the validation loss (<c>--monitor loss</c>),
    /// not on the validation macro AUROC the recipes use by default. A demo cohort validates on a few
    /// dozen stays (a few with an X-ray), where epoch-to-epoch AUROC differences are noise: on seed 1234
    /// the EHR encoder's validation AUROC ranged over 0.558–0.572 in six epochs and selected the first,
    /// whose test AUROC was 0.606 against the last epoch's 0.614, and the attention fusion fine-tuned from
    /// it reached 0.538 against 0.596 from the last. The loss scores every probability of every stay and
    /// changes smoothly between epochs.
    /// </summary>
    static readonly string[] SelectOnLoss = ["--monitor", "loss"];

    /// <summary>Titles of the single-modality runs the verdict compares the fusion model with.</summary>
    public const string SeriesOnlyTitle = "Time series only", ImageOnlyTitle = "Image only + CLAHE";


    /// <summary>Builds the steps for <paramref name="root"/> with <paramref name="size"/> on <paramref name="task"/>.</summary>
    public static (IReadOnlyList<DemoStep> Steps, IReadOnlyList<ModelRun> Runs) Build(string root, DemoSize size, int seed, ClinicalTask task = ClinicalTask.Phenotyping)
    {
        var layout = new DemoLayout(root);
        string S(int v) => v.ToString(CultureInfo.InvariantCulture);
        string L(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        string[] radiology = size.RadiologyEpochs > 0 ? ["--radiology"] : [];
        var steps = new List<DemoStep>
        {
            new("Generate a synthetic MIMIC-IV + MIMIC-CXR-JPG cohort",
                ["synth", "--out", layout.Synth, "--patients", S(size.Patients), "--seed", S(seed), "--images", "small", "--force"],
                layout.SynthOracleMetrics),
            new("Extract ICU stays, tasks, linked X-rays and splits",
                ["extract", "--mimic-iv", layout.SynthMimicIv, "--mimic-cxr", layout.SynthMimicCxr, "--out", layout.Cohort, "--seed", S(seed), "--force"],
                DemoLayout.Manifest(layout.Cohort)),
            new($"Prepare {ClinicalTasks.ShortName(task)} with CLAHE",
                ["prepare", "--cohort", layout.Cohort, "--task", ClinicalTasks.ShortName(task), "--image-size", S(size.ImageSize), .. radiology, "--out", layout.Prepared("clahe"), "--force"],
                DemoLayout.Manifest(layout.Prepared("clahe"))),
            new($"Prepare {ClinicalTasks.ShortName(task)} without CLAHE",
                ["prepare", "--cohort", layout.Cohort, "--task", ClinicalTasks.ShortName(task), "--clahe", "false", "--image-size", S(size.ImageSize), .. radiology, "--out", layout.Prepared("plain"), "--force"],
                DemoLayout.Manifest(layout.Prepared("plain"))),
        };
        steps.Add(Pretrain("ehr", "plain", "ehr"));
        foreach (var store in new[] { "plain", "clahe" })
        {
            string suffix = store == "clahe" ? "-clahe" : "";
            if (size.RadiologyEpochs > 0)
                steps.Add(new($"Pre-train the CXR (ResNet-34) encoder on radiology labels{(store == "clahe" ? " (CLAHE images)" : "")}",
                    ["pretrain", "--data", layout.Prepared(store), "--encoder", "cxr", "--labels", "radiology", "--epochs", S(size.RadiologyEpochs), "--lr", L(size.PretrainLearningRate),
                     "--batch-size", S(size.BatchSize), .. SelectOnLoss, "--seed", S(seed), "--out", layout.Run("pretrain-cxr-radiology" + suffix), "--force"],
                    RunFolder.At(layout.Run("pretrain-cxr-radiology" + suffix)).BestWeights));
            steps.Add(Pretrain("cxr", store, "cxr" + suffix, size.RadiologyEpochs > 0 ? layout.Run("pretrain-cxr-radiology" + suffix) : null));
        }

        DemoStep Pretrain(string encoder, string store, string name, string? from = null) => new(
            $"Pre-train the {(encoder == "ehr" ? "EHR (LSTM)" : "CXR (ResNet-34)")} encoder on the task labels{(store == "clahe" ? " (CLAHE images)" : "")}{(from is null ? "" : ", from the radiology encoder")}",
            ["pretrain", "--data", layout.Prepared(store), "--encoder", encoder, .. from is null ? Array.Empty<string>() : ["--cxr-encoder", from],
             "--epochs", S(size.PretrainEpochs), "--lr", L(from is null ? size.PretrainLearningRate : size.TransferLearningRate),
             "--batch-size", S(size.BatchSize), .. SelectOnLoss, "--seed", S(seed), "--out", layout.Run("pretrain-" + name), "--force"],
            RunFolder.At(layout.Run("pretrain-" + name)).BestWeights);

        var runs = new List<ModelRun>
        {
            new(layout.Run("pretrain-ehr"), SeriesOnlyTitle, OracleView.Series),
            new(layout.Run("pretrain-cxr"), "Image only", OracleView.Image),
            new(layout.Run("pretrain-cxr-clahe"), ImageOnlyTitle, OracleView.Image),
        };
        void Finetune(string name, string title, string model, string loss, string store)
        {
            string cxr = store == "clahe" ? "pretrain-cxr-clahe" : "pretrain-cxr";
            steps.Add(new($"Fine-tune {title}",
                ["train", "--data", layout.Prepared(store), "--model", model, "--loss", loss,
                 "--ehr-encoder", layout.Run("pretrain-ehr"), "--cxr-encoder", layout.Run(cxr),
                 "--epochs", S(size.FinetuneEpochs), "--lr", L(size.FinetuneLearningRate), "--batch-size", S(size.BatchSize), .. SelectOnLoss, "--seed", S(seed), "--out", layout.Run(name), "--force"],
                RunFolder.At(layout.Run(name)).BestWeights));
            runs.Add(new(layout.Run(name), title));
        }
        Finetune("medfuse", "MedFuse (LSTM fusion)", "medfuse", "bce", "plain");
        if (size.Baselines)
        {
            // The baselines read the CLAHE store and start from the pre-trained EHR encoder; CARD's ResNet-34 also from the CXR encoder (the ViT has none).
            void Baseline(string model, string title, params string[] encoders)
            {
                steps.Add(new($"Train the {title} baseline (pre-training phase, then the main phase)",
                    ["train", "--data", layout.Prepared("clahe"), "--model", model, .. encoders,
                     "--pretrain-epochs", S(size.PretrainEpochs), "--epochs", S(size.FinetuneEpochs), "--lr", L(size.FinetuneLearningRate),
                     "--batch-size", S(size.BatchSize), .. SelectOnLoss, "--seed", S(seed), "--out", layout.Run(model), "--force"],
                    RunFolder.At(layout.Run(model)).BestWeights));
                runs.Add(new(layout.Run(model), title));
            }
            Baseline("contrastive-vit", "Contrastive + ViT", "--ehr-encoder", layout.Run("pretrain-ehr"));
            Baseline("card", "CARD", "--ehr-encoder", layout.Run("pretrain-ehr"), "--cxr-encoder", layout.Run("pretrain-cxr-clahe"));
        }
        if (size.Ablation)
        {
            Finetune("attention", "Attention", "attention", "bce", "plain");
            Finetune("attention-uncertainty", "Attention + uncertainty loss", "attention", "uncertainty", "plain");
            Finetune("attention-clahe", "Attention + CLAHE", "attention", "bce", "clahe");
        }
        Finetune("attention-uncertainty-clahe", "Attention + uncertainty + CLAHE", "attention", "uncertainty", "clahe");

        foreach (var run in runs)
            steps.Add(new($"Evaluate {run.Title} on the test split (bootstrap CIs)",
                ["evaluate", "--run", run.Folder, "--split", Splits.Name(Split.Test), "--seed", S(seed)],
                Path.Combine(run.Folder, MetricsJson.FileName)));

        var noisy = runs.Where(r => r.Folder.EndsWith("medfuse", StringComparison.Ordinal) || r.Folder.EndsWith("attention-uncertainty-clahe", StringComparison.Ordinal)).ToList();
        var sweep = new List<string> { "robustness", "--protocol", "clean-train", "--seed", S(seed), "--levels" };
        sweep.AddRange(size.NoiseLevels.Select(S));
        foreach (var run in noisy) sweep.AddRange(["--run", run.Folder]);
        steps.Add(new("Robustness: trained clean, tested with Gaussian noise", [.. sweep],
            RobustnessLayout.LevelMetrics(noisy[^1].Folder, RobustnessLayout.CleanTrainNoisyTest, size.NoiseLevels[^1])));

        if (size.NoisyTrain)
        {
            var trained = new List<string> { "robustness", "--protocol", "noisy-train", "--seed", S(seed), "--levels" };
            trained.AddRange(size.NoiseLevels.Select(S));
            foreach (var run in noisy) trained.AddRange(["--run", run.Folder]);
            steps.Add(new("Robustness: trained and tested with Gaussian noise (one retraining per level)", [.. trained],
                RobustnessLayout.LevelMetrics(noisy[^1].Folder, RobustnessLayout.NoisyTrainTest, size.NoiseLevels[^1])));
        }

        var report = new List<string> { "report", "--out", layout.Report, "--truth", layout.Oracle(task), "--provenance", layout.Provenance, "--force" };
        foreach (var run in runs) report.AddRange(["--run", run.Folder]);
        steps.Add(new("Write the report (tables, figures, oracle, provenance)", [.. report], layout.ReportHtml));
        return (steps, runs);
    }
}
