namespace ClinFuse.Data.Synthetic;

/// <summary>Chest X-ray studies and the truth rows of the simulated patient.</summary>
internal sealed partial class PatientSimulator
{
    /// <summary>What a radiograph shows: finding strengths (≈ latent values) and devices.</summary>
    readonly record struct ImageState(double Opacity, double Effusion, double HeartSize, bool Devices);

    /// <summary>Every AP image of the patient (time truncated to seconds, as the linkage reads it).</summary>
    readonly List<DateTime> apImageTimes = [];

    void WriteStudies(List<Admission> admissions, double frailty)
    {
        double u = rng.NextDouble();
        string split = u < 0.978 ? "train" : u < 0.986 ? "validate" : "test";
        var first = admissions[0].AdmitTime;
        var last = admissions[^1].DischTime;

        int outpatient = rng.NextInt(0, 3);
        for (int i = 0; i < outpatient; i++)
        {
            var t = first.AddDays(rng.Uniform(-700, (last - first).TotalDays + 700));
            if (admissions.Exists(a => t >= a.AdmitTime && t <= a.DischTime)) continue;
            var state = new ImageState(0.5 * rng.Gaussian() - 0.5, 0.5 * rng.Gaussian() - 0.5, 0.3 * frailty + 0.5 * rng.Gaussian(), false);
            Study(t, state, rng.Chance(0.85) ? "PA" : "AP", apImages: 1, lateral: true, split, admissions);
        }

        foreach (var adm in admissions)
        {
            var z = adm.Z;
            ImageState During(double noise) => new(
                z[(int)LatentFactor.Lung] + noise * rng.Gaussian(),
                z[(int)LatentFactor.Fluid] + noise * rng.Gaussian(),
                0.7 * z[(int)LatentFactor.Fluid] + 0.5 * rng.Gaussian(),
                adm.Ventilated);

            var firstIn = adm.Stays[0].InTime;
            if ((firstIn - adm.AdmitTime).TotalHours > 1 && rng.Chance(0.4))
                Study(adm.AdmitTime.AddHours(rng.Uniform(0.1, (firstIn - adm.AdmitTime).TotalHours - 0.1)), During(0.4) with { Devices = false },
                    rng.Chance(0.5) ? "AP" : "PA", 1, lateral: rng.Chance(0.5), split, admissions);

            foreach (var stay in adm.Stays)
            {
                double los = stay.LosHours;
                if (!rng.Chance(los >= 48 ? ApFilmsLongStay : ApFilmsShortStay)) continue;
                // Margins of 0.1 h keep each film unambiguously inside or outside a window.
                double t1 = los >= 48
                    ? (rng.Chance(FirstApWithin48h) || los < 49 ? rng.Uniform(0.1, 47.9) : rng.Uniform(48.1, los - 0.1))
                    : rng.Uniform(0.1, los - 0.1);
                for (double h = t1, n = 0; h < los - 0.1 && n < 8; h += rng.Uniform(18, 30), n++)
                    Study(stay.InTime.AddHours(h), During(0.25), "AP", rng.Chance(0.1) ? 2 : 1, lateral: rng.Chance(0.1), split, admissions);
            }

            var lastOut = adm.Stays[^1].OutTime;
            if (!adm.Died && (adm.DischTime - lastOut).TotalHours > 1 && rng.Chance(0.3))
                Study(lastOut.AddHours(rng.Uniform(0.1, (adm.DischTime - lastOut).TotalHours - 0.1)), During(0.5) with { Devices = false },
                    "PA", 1, lateral: true, split, admissions);
        }
    }

    void Study(DateTime time, ImageState state, string frontal, int apImages, bool lateral, string split, List<Admission> admissions)
    {
        if (studyCounter >= 140) return;
        time = new DateTime(time.Ticks - time.Ticks % TimeSpan.TicksPerMillisecond);
        long studyId = NextStudyId();
        bool portable = frontal == "AP";
        string procedure = portable ? "CHEST (PORTABLE AP)" : "CHEST (PA AND LAT)";
        var meta = output[SynthTable.CxrMetadata];
        var splitRows = output[SynthTable.CxrSplit];
        var truth = output[SynthTable.TruthImages];
        var (stayId, hours) = FindStay(admissions, time);

        int frontalCount = portable ? apImages : 1;
        for (int i = 0; i < frontalCount + (lateral ? 1 : 0); i++)
        {
            bool isLateral = i >= frontalCount;
            string view = isLateral ? "LATERAL" : frontal;
            string dicom = DicomId();
            (int rows, int cols) = isLateral || !portable ? (3056, 2544) : rng.Chance(0.5) ? (2544, 3056) : (3050, 2539);
            meta.Text(dicom).Int(subjectId).Int(studyId).Text(procedure).Text(view).Int(rows).Int(cols)
                .Int(time.Year * 10000 + time.Month * 100 + time.Day);
            double hhmmss = time.Hour * 10000 + time.Minute * 100 + time.Second + (rng.Chance(0.6) ? time.Millisecond / 1000.0 : 0);
            meta.Num(hhmmss).Text(procedure)
                .Text(isLateral ? "lateral" : portable ? "antero-posterior" : "postero-anterior")
                .Text(rng.Chance(0.1) ? null : portable ? (rng.Chance(0.7) ? "Recumbent" : "Erect") : "Erect").End();
            splitRows.Text(dicom).Int(studyId).Int(subjectId).Text(split).End();
            truth.Text(dicom).Int(studyId).Int(subjectId).Int(stayId);
            if (hours is { } hh) truth.Num(Math.Round(hh, 4)); else truth.Empty();
            truth.Text(view).Num(Math.Round(state.Opacity, 4)).Num(Math.Round(state.Effusion, 4)).Num(Math.Round(state.HeartSize, 4)).Int(state.Devices ? 1 : 0).End();
            if (view == "AP") apImageTimes.Add(new DateTime(time.Ticks - time.Ticks % TimeSpan.TicksPerSecond));
            if (options.Images != SynthImages.None)
            {
                string sid = subjectId.ToString(System.Globalization.CultureInfo.InvariantCulture);
                output.Images.Add(new CxrImageSpec($"files/p{sid[..2]}/p{sid}/s{studyId}/{dicom}.jpg", rows, cols, isLateral, portable,
                    state.Opacity, state.Effusion, state.HeartSize, state.Devices, index, imageCounter));
            }
            imageCounter++;
        }
        WriteChexpert(studyId, state);
    }

    static (long? StayId, double? Hours) FindStay(List<Admission> admissions, DateTime time)
    {
        foreach (var adm in admissions)
            foreach (var stay in adm.Stays)
                if (time >= stay.InTime && time <= stay.OutTime) return (stay.StayId, (time - stay.InTime).TotalHours);
        return (null, null);
    }

    string DicomId()
    {
        Span<char> c = stackalloc char[44];
        const string hex = "0123456789abcdef";
        for (int g = 0, p = 0; g < 5; g++)
        {
            if (g > 0) c[p++] = '-';
            ulong bits = rng.NextUInt64();
            for (int k = 0; k < 8; k++, bits >>= 4) c[p++] = hex[(int)(bits & 15)];
        }
        return new string(c);
    }

    /// <summary>CheXpert labeller output derived from the finding strengths: 1.0, -1.0 (uncertain), 0.0 or not mentioned.</summary>
    void WriteChexpert(long studyId, ImageState s)
    {
        var w = output[SynthTable.CxrChexpert];
        w.Int(subjectId).Int(studyId);
        double? Graded(double strength, double positive, double uncertain, double negativeMention) =>
            strength > positive ? 1.0 : strength > uncertain ? -1.0 : rng.Chance(negativeMention) ? 0.0 : null;
        double? atelectasis = Graded(0.5 * s.Opacity + 0.5 * rng.Gaussian(), 1.2, 0.9, 0.05);
        double? cardiomegaly = Graded(s.HeartSize, 1.0, 0.7, 0.1);
        double? consolidation = Graded(s.Opacity, 1.6, 1.3, 0.1);
        double? edema = Graded(s.Effusion, 1.3, 1.0, 0.15);
        double? enlarged = Graded(s.HeartSize - 0.3, 1.2, 0.9, 0.02);
        double? fracture = rng.Chance(0.01) ? 1.0 : null;
        double? lesion = rng.Chance(0.02) ? 1.0 : null;
        double? opacity = Graded(s.Opacity, 1.0, 0.6, 0.05);
        double? effusion = Graded(s.Effusion, 0.9, 0.6, 0.3);
        double? pleuralOther = rng.Chance(0.01) ? 1.0 : null;
        double? pneumonia = Graded(s.Opacity, 1.3, 1.0, 0.2);
        double? pneumothorax = rng.Chance(0.02) ? 1.0 : rng.Chance(0.3) ? 0.0 : null;
        double? devices = s.Devices ? 1.0 : null;
        double?[] labels = [atelectasis, cardiomegaly, consolidation, edema, enlarged, fracture, lesion, opacity, null, effusion, pleuralOther, pneumonia, pneumothorax, devices];
        bool anyPositive = false;
        foreach (var l in labels) anyPositive |= l == 1.0;
        labels[8] = anyPositive ? null : 1.0;
        foreach (var l in labels)
            if (l is { } v) w.Num(v, "0.0"); else w.Empty();
        w.End();
    }

    void WriteTruth(Admission adm, IcuStay stay)
    {
        const double eps = 1e-6;
        double los = stay.LosHours;
        int singleUnitStays = 0;
        foreach (var s in adm.Stays) if (s.FirstUnit == s.LastUnit) singleUnitStays++;
        bool singleUnit = stay.FirstUnit == stay.LastUnit;
        bool singleStay = singleUnitStays == 1;
        bool EventsWithin(double end) => stay.HasEvents || adm.LabTimes.Exists(t => (t - stay.InTime).TotalHours > -eps && (t - stay.InTime).TotalHours < end + eps);
        bool cohort = singleUnit && singleStay && adm.HasDiagnoses;
        bool ihmEligible = cohort && los >= 48 - eps && EventsWithin(48);
        bool phenoEligible = cohort && EventsWithin(los);
        bool ApWithin(DateTime end) => apImageTimes.Exists(t => t >= stay.InTime && t <= end);
        bool ihmPaired = ApWithin(stay.InTime.AddHours(48));
        bool phenoPaired = ApWithin(stay.OutTime);

        var w = output[SynthTable.TruthStays];
        w.Int(subjectId).Int(adm.HadmId).Int(stay.StayId).Time(stay.InTime).Time(stay.OutTime).Num(Math.Round(los, 6))
            .Int(stay.HasEvents ? 1 : 0).Int(adm.HasDiagnoses ? 1 : 0).Int(singleUnit ? 1 : 0).Int(singleStay ? 1 : 0)
            .Int(ihmEligible ? 1 : 0).Int(phenoEligible ? 1 : 0).Int(ihmPaired ? 1 : 0).Int(phenoPaired ? 1 : 0);
        foreach (var z in adm.Z) w.Num(Math.Round(z, 6));
        w.Int(adm.Labels[0]);
        for (int v = 0; v < 4; v++) w.Num(Math.Round(adm.Probabilities[v], 6));
        for (int k = 1; k <= 25; k++) w.Int(adm.Labels[k]);
        for (int v = 0; v < 4; v++)
            for (int k = 1; k <= 25; k++) w.Num(Math.Round(adm.Probabilities[k * 4 + v], 6));
        w.End();
        output.Stays.Add(new StayOutcome(ihmEligible, phenoEligible, ihmPaired, phenoPaired, los, adm.Labels, adm.Probabilities));
    }
}
