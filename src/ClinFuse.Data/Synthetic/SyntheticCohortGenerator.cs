using ClinFuse.Data.Mimic;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ClinFuse.Core;
using ClinFuse.Core.Stages;

namespace ClinFuse.Data.Synthetic;

/// <summary>What <see cref="SyntheticCohortGenerator.Generate"/> wrote.</summary>
public sealed record SynthResult(string Folder, StageManifest Manifest, OracleReport Oracle);

/// <summary>
/// <c>clinfuse synth</c>: writes a synthetic MIMIC-IV (v2.2 or v1.0 layout) + MIMIC-CXR-JPG 2.0.0
/// cohort with planted signal and oracle truth. Patients are generated in fixed blocks of
/// <see cref="SynthOptions.PatientsPerBlock"/>, a batch of blocks in parallel, each block's rows
/// compressed into its own gzip member; members are appended in block order. Output is therefore
/// byte-identical for any thread count, and memory is bounded by the blocks in flight.
/// </summary>
public static class SyntheticCohortGenerator
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Generates the cohort into <paramref name="outputDir"/> (atomically: nothing appears unless it completes).</summary>
    public static SynthResult Generate(SynthOptions options, string outputDir, bool force, ComputeSettings compute, IStageProgress progress, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var wanted = new StageManifest { Stage = "synth", Config = ConfigJson(options) };
        var check = StageOutput.Check(outputDir, wanted, force, progress);
        if (check.UpToDate is { } existing)
            return new SynthResult(Path.GetFullPath(outputDir), existing,
                JsonSerializer.Deserialize<OracleReport>(File.ReadAllText(Path.Combine(outputDir, SynthTables.OracleMetricsFile)), Json)!);
        using var stage = StageOutput.Begin(outputDir, check.Replace);
        var clock = Stopwatch.StartNew();
        var tables = Enum.GetValues<SynthTable>();
        var files = new FileStream[tables.Length];
        var rowCounts = new long[tables.Length];
        var outcomes = new List<StayOutcome>();
        long images = 0;
        try
        {
            foreach (var table in tables)
            {
                files[(int)table] = new FileStream(stage.PathFor(SynthTables.PathOf(table, options.Layout)), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
                using var header = new CsvRowWriter(SynthTables.IsCompressed(table, options.Layout));
                header.Line(SynthTables.HeaderOf(table, options.Layout));
                files[(int)table].Write(header.ToArray());
            }
            WriteDictionaries(stage, options.Layout);

            int blocks = (options.Patients + SynthOptions.PatientsPerBlock - 1) / SynthOptions.PatientsPerBlock;
            int batch = Math.Max(2, compute.Threads * 2);
            using var step = progress.Step("Generating patients", options.Patients, "patients");
            for (int first = 0; first < blocks; first += batch)
            {
                int count = Math.Min(batch, blocks - first);
                var results = new (long[] Rows, byte[][] Blocks, List<StayOutcome> Stays, int Images)[count];
                Parallel.For(0, count, compute.ParallelOptions(cancellationToken), j =>
                {
                    results[j] = GenerateBlock(options, stage.Path, first + j);
                    step.Advance(Math.Min(SynthOptions.PatientsPerBlock, options.Patients - (first + j) * SynthOptions.PatientsPerBlock));
                });
                foreach (var result in results)
                {
                    for (int t = 0; t < tables.Length; t++)
                    {
                        files[t].Write(result.Blocks[t]);
                        rowCounts[t] += result.Rows[t];
                    }
                    outcomes.AddRange(result.Stays);
                    images += result.Images;
                }
            }
        }
        finally
        {
            foreach (var f in files) f?.Dispose();
        }

        var generationSeconds = clock.Elapsed.TotalSeconds;
        var oracle = OracleMetrics.Compute(outcomes);
        File.WriteAllText(stage.PathFor(SynthTables.OracleMetricsFile), JsonSerializer.Serialize(oracle, Json));
        File.WriteAllText(stage.PathFor(SynthTables.GeneratorFile), JsonSerializer.Serialize(GeneratorDescription(options), Json));
        File.WriteAllText(stage.PathFor(SynthTables.AttributionFile), Attribution);

        var counts = new Dictionary<string, long>();
        foreach (var table in tables) counts[Path.GetFileName(SynthTables.PathOf(table, options.Layout)).Replace(".csv.gz", "").Replace(".csv", "")] = rowCounts[(int)table];
        counts["images"] = images;
        counts["ihm_stays"] = oracle.InHospitalMortality.Stays;
        counts["ihm_paired_stays"] = oracle.InHospitalMortality.PairedStays;
        counts["phenotyping_stays"] = oracle.Phenotyping.Stays;
        counts["phenotyping_paired_stays"] = oracle.Phenotyping.PairedStays;
        var manifest = wanted with
        {
            Counts = counts,
            TimingsSeconds = new Dictionary<string, double>
            {
                ["generate"] = Math.Round(generationSeconds, 3),
                ["total"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
            },
        };
        // manifest.json (time stamp, timings) is the only file that differs between runs of the same arguments.
        manifest = manifest.WithOutputs(stage.Path);
        manifest.Write(stage.Path);
        stage.Commit();
        return new SynthResult(stage.FinalPath, manifest, oracle);
    }

    static (long[] Rows, byte[][] Blocks, List<StayOutcome> Stays, int Images) GenerateBlock(SynthOptions options, string root, int block)
    {
        using var output = new BlockOutput(options.Layout);
        int end = Math.Min(options.Patients, (block + 1) * SynthOptions.PatientsPerBlock);
        for (int i = block * SynthOptions.PatientsPerBlock; i < end; i++) PatientSimulator.Simulate(options, output, i);
        foreach (var image in output.Images)
        {
            var path = Path.Combine(root, SynthTables.Cxr.TrimEnd('/'), image.RelativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, CxrRenderer.RenderJpeg(image, options.Images, options.Seed));
        }
        var (rows, blocks) = output.Finish();
        return (rows, blocks, output.Stays, output.Images.Count);
    }

    static void WriteDictionaries(StageOutput stage, MimicIvLayout layout)
    {
        bool v1 = layout == MimicIvLayout.V1;
        var icd = new CsvRowWriter(!v1);
        icd.Line("icd_code,icd_version,long_title");
        var seen = new HashSet<(string, int)>();
        foreach (var code in SyntheticResources.IcdCodes)
            if (seen.Add((code.Code, code.Version))) icd.Text(code.Code).Int(code.Version).Text(code.Title).End();
        File.WriteAllBytes(stage.PathFor(SynthTables.DIcdDiagnosesPath(layout)), icd.ToArray());
        icd.Dispose();

        // v1.0's d_labitems carried a loinc_code column that v2 dropped.
        var labs = SyntheticResources.DLabItemsCsv;
        if (v1) labs = string.Join('\n', labs.Split('\n').Select((line, i) => line.Length == 0 ? line : i == 0 ? line + ",loinc_code" : line + ","));
        WriteText(stage.PathFor(SynthTables.DLabItemsPath(layout)), labs, !v1);
        WriteText(stage.PathFor(SynthTables.DItemsPath(layout)), SyntheticResources.DItemsCsv, !v1);
    }

    static void WriteText(string path, string text, bool compress)
    {
        using var writer = new CsvRowWriter(compress);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries)) writer.Line(line);
        File.WriteAllBytes(path, writer.ToArray());
    }

    static JsonObject ConfigJson(SynthOptions options) => new()
    {
        ["patients"] = options.Patients,
        ["seed"] = options.Seed,
        ["images"] = options.Images.ToString().ToLowerInvariant(),
        ["layout"] = options.Layout == MimicIvLayout.V2 ? "v2" : "v1",
        ["filler_chart_rows_per_hour"] = options.FillerChartRowsPerHour,
        ["patients_per_block"] = SynthOptions.PatientsPerBlock,
    };

    static JsonObject GeneratorDescription(SynthOptions options)
    {
        var factors = new JsonArray();
        foreach (var f in Enum.GetValues<LatentFactor>())
            factors.Add(new JsonObject
            {
                ["name"] = f.ToString(),
                ["in_series"] = LatentMath.Visible(f, OracleView.SeriesOnly),
                ["in_images"] = LatentMath.Visible(f, OracleView.ImageOnly),
            });
        JsonObject Label(LabelModel m) => new()
        {
            ["name"] = m.Name,
            ["prevalence"] = m.Prevalence,
            ["intercept"] = Math.Round(m.Intercept, 6),
            ["loadings"] = new JsonArray(m.Loadings.Select(l => (JsonNode)l).ToArray()),
        };
        var phenotypes = new JsonArray();
        for (int k = 0; k < CohortModel.Phenotypes.Count; k++)
        {
            var node = Label(CohortModel.Phenotypes[k]);
            node["column"] = $"ph{k:00}";
            phenotypes.Add(node);
        }
        return new JsonObject
        {
            ["config"] = ConfigJson(options),
            ["model"] = "label ~ Bernoulli(sigmoid(intercept + loadings · z)), z ~ N(0, I) per admission (frailty per patient); see docs/synthetic-cohort.md",
            ["factors"] = factors,
            ["in_hospital_mortality"] = Label(CohortModel.Mortality),
            ["phenotypes"] = phenotypes,
        };
    }

    const string Attribution = """
        # Synthetic cohort

        Generated by `clinfuse synth`. Every patient, stay, value and image is synthetic; no real
        patient data is contained. Folder layout and table schemas follow MIMIC-IV (v2.2 or v1.0) and
        MIMIC-CXR-JPG 2.0.0.

        The dictionary rows in `mimic-iv/icu/d_items`, `mimic-iv/hosp/d_labitems` and the titles in
        `mimic-iv/hosp/d_icd_diagnoses` are copied from the MIMIC-IV Clinical Database Demo v2.2
        (Johnson, A., Bulgarelli, L., Pollard, T., Horng, S., Celi, L. A., & Mark, R. (2023), PhysioNet,
        https://doi.org/10.13026/dp1f-ex47), licensed under the Open Data Commons Open Database License
        v1.0 (ODbL); those tables remain under the ODbL. Phenotype code lists come from
        mimic3-benchmarks (MIT, YerevaNN) and MedFuse's MIMIC-IV adaptation (MIT).

        `truth/` holds the latent state, labels and oracle probabilities per stay (`stays.csv`), the
        planted findings per image (`images.csv`), oracle AUROC/AUPRC per task (`oracle_metrics.json`)
        and the generator's parameters (`generator.json`).
        """;
}
