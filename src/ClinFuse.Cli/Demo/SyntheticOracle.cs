using ClinFuse.Data.Mimic;
using System.Globalization;
using ClinFuse.Core;
using ClinFuse.Data.Cohort;
using ClinFuse.Data.Extraction;
using ClinFuse.Data.Synthetic;
using ClinFuse.Evaluation;
using ClinFuse.Core.Tasks;

namespace ClinFuse.Cli.Demo;

/// <summary>What the oracle sees.</summary>
public enum OracleView
{
    /// <summary>Every modality the stay has: series and image on paired stays, the series elsewhere (the ceiling of a fusion model).</summary>
    Available,
    /// <summary>The series alone (the ceiling of a time-series model).</summary>
    Series,
    /// <summary>The image alone (the ceiling of an image model; meaningful on paired stays).</summary>
    Image,
}

/// <summary>
/// The synthetic generator's true probabilities for the test samples of a task, as a predictions
/// file: the ceiling any model can reach on that cohort, shown by the report next to every run.
/// The oracle is what is knowable from the modalities a stay has: the series-and-image probability
/// for a stay with a linked image, the series-only probability otherwise (never the hidden factors).
/// </summary>
internal static class SyntheticOracle
{
    /// <summary>Whether <paramref name="synthFolder"/> holds the ground truth of <c>clinfuse synth</c>.</summary>
    public static bool Exists(string synthFolder) => File.Exists(StaysPath(synthFolder));

    static string StaysPath(string synthFolder) => Path.Combine(synthFolder, SynthTables.PathOf(SynthTable.TruthStays, MimicIvLayout.V2));

    /// <summary>Writes the oracle predictions of <paramref name="task"/>'s test split to <paramref name="path"/> (<see cref="OracleView.Available"/>).</summary>
    public static void Write(string synthFolder, string cohortFolder, ClinicalTask task, string path) =>
        PredictionsFile.Write(path, Read(synthFolder, cohortFolder, task, OracleView.Available));

    /// <summary>The oracle's probabilities for <paramref name="task"/>'s test split, scored against the cohort's labels.</summary>
    public static PredictionSet Read(string synthFolder, string cohortFolder, ClinicalTask task, OracleView view)
    {
        var staysPath = StaysPath(synthFolder);
        if (!File.Exists(staysPath))
            throw new ClinFuseException($"{staysPath} not found: the oracle exists only for cohorts made by `clinfuse synth`.");
        var lines = File.ReadAllLines(staysPath);
        var header = lines[0].Split(',');
        int Column(string name)
        {
            int i = Array.IndexOf(header, name);
            if (i < 0) throw new ClinFuseException($"{staysPath} has no column '{name}'.", "Generate the cohort again with this version of `clinfuse synth`.");
            return i;
        }
        int stayColumn = Column("stay_id");
        var labels = CohortStore.LabelNames(task);
        string Prefix(int k) => task == ClinicalTask.InHospitalMortality ? "ihm" : $"ph{k:00}";
        var fusedColumns = Enumerable.Range(0, labels.Count).Select(k => Column($"{Prefix(k)}_p_fused")).ToArray();
        var seriesColumns = Enumerable.Range(0, labels.Count).Select(k => Column($"{Prefix(k)}_p_series")).ToArray();
        var imageColumns = Enumerable.Range(0, labels.Count).Select(k => Column($"{Prefix(k)}_p_image")).ToArray();
        int pairedColumn = Column(task == ClinicalTask.InHospitalMortality ? "ihm_paired" : "pheno_paired");
        var byStay = new Dictionary<long, string[]>();
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',');
            byStay[long.Parse(cells[stayColumn], CultureInfo.InvariantCulture)] = cells;
        }

        var samples = CohortStore.Open(cohortFolder).Samples(task, Split.Test);
        var truth = labels.Select(_ => new byte[samples.Count]).ToArray();
        var probabilities = labels.Select(_ => new double[samples.Count]).ToArray();
        for (int i = 0; i < samples.Count; i++)
        {
            if (!byStay.TryGetValue(samples[i].StayId, out var cells))
                throw new ClinFuseException($"Stay {samples[i].StayId} of the cohort is not in {staysPath}.", "The cohort was not extracted from this synthetic data set.");
            for (int k = 0; k < labels.Count; k++)
            {
                // The cohort's labels are the ground truth the models are scored against.
                truth[k][i] = (byte)samples[i].Labels[k];
                var column = view switch
                {
                    OracleView.Series => seriesColumns[k],
                    OracleView.Image => imageColumns[k],
                    _ => IsTrue(cells[pairedColumn]) ? fusedColumns[k] : seriesColumns[k],
                };
                probabilities[k][i] = double.Parse(cells[column], CultureInfo.InvariantCulture);
            }
        }
        var model = view switch { OracleView.Series => "Oracle, series only", OracleView.Image => "Oracle, image only", _ => "Oracle (synthetic truth)" };
        var metadata = new PredictionMetadata(ClinicalTasks.Name(task), model, Splits.Name(Split.Test));
        return new PredictionSet([.. samples.Select(s => s.StayId.ToString(CultureInfo.InvariantCulture))], labels, truth, probabilities, metadata);
    }

    static bool IsTrue(string cell) => cell is "1" or "true" or "True";
}
