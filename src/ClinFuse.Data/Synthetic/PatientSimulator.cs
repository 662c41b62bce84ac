using ClinFuse.Data.Mimic;

namespace ClinFuse.Data.Synthetic;

/// <summary>
/// Simulates one patient: demographics, ICU admissions with their latent state, outcome,
/// diagnoses, transfers, ICU stays, hourly charting, labs, urine output, chest X-ray studies and
/// the truth rows. Everything is drawn from the patient's own stream (seed, patient index), so a
/// patient's rows do not depend on any other patient or on the thread that generates them.
/// See docs/synthetic-cohort.md for the model; the constants below are its parameters.
/// </summary>
internal sealed partial class PatientSimulator
{
    // Fraction of patients who appear in MIMIC-CXR-JPG, and the chance that an in-CXR patient's ICU
    // stay gets portable AP films: chosen so that ≈ 25 % of IHM stays and ≈ 18 % of phenotyping
    // stays are paired (0.327 · 0.85 · 0.9 ≈ 0.25; short stays are rarely imaged).
    const double InCxrDatabase = 0.327;
    const double ApFilmsLongStay = 0.85;
    const double ApFilmsShortStay = 0.25;
    const double FirstApWithin48h = 0.9;

    // Data dirt, per row or per entity.
    const double DuplicateRow = 0.002;
    const double EmptyValue = 0.001;
    const double ImplausibleVital = 0.0005;
    const double CelsiusInFahrenheitItem = 0.01;
    const double FiO2AsFraction = 0.05;
    const double StayWithoutEvents = 0.01;
    const double AdmissionWithoutDiagnoses = 0.005;
    const double ChartingBeforeIntime = 0.3;

    static readonly string[] IcuUnits =
    [
        "Medical Intensive Care Unit (MICU)", "Surgical Intensive Care Unit (SICU)",
        "Medical/Surgical Intensive Care Unit (MICU/SICU)", "Cardiac Vascular Intensive Care Unit (CVICU)",
        "Coronary Care Unit (CCU)", "Trauma SICU (TSICU)", "Neuro Surgical Intensive Care Unit (Neuro SICU)",
    ];
    static readonly double[] IcuUnitWeights = [25, 15, 17, 17, 11, 12, 3];
    static readonly string[] Wards = ["Med/Surg", "Medicine", "Surgery", "Cardiology", "Neurology", "Med/Surg/Trauma", "Medicine/Cardiology", "Hematology/Oncology"];
    static readonly string[] AdmissionTypes = ["EW EMER.", "URGENT", "ELECTIVE", "SURGICAL SAME DAY ADMISSION", "OBSERVATION ADMIT", "DIRECT EMER.", "EU OBSERVATION"];
    static readonly double[] AdmissionTypeWeights = [45, 15, 8, 10, 10, 5, 7];
    static readonly string[] AdmissionLocations = ["EMERGENCY ROOM", "TRANSFER FROM HOSPITAL", "PHYSICIAN REFERRAL", "PROCEDURE SITE", "CLINIC REFERRAL"];
    static readonly string[] DischargeLocations = ["HOME", "HOME HEALTH CARE", "SKILLED NURSING FACILITY", "REHAB", "CHRONIC/LONG TERM ACUTE CARE"];
    static readonly string[] Insurances = ["Medicare", "Medicaid", "Other"];
    static readonly string[] MaritalStatuses = ["MARRIED", "SINGLE", "WIDOWED", "DIVORCED"];
    static readonly string[] RacesV2 =
    [
        "WHITE", "BLACK/AFRICAN AMERICAN", "UNKNOWN", "HISPANIC/LATINO - PUERTO RICAN", "ASIAN", "OTHER",
        "WHITE - OTHER EUROPEAN", "UNABLE TO OBTAIN", "HISPANIC/LATINO - DOMINICAN", "BLACK/CAPE VERDEAN",
        "ASIAN - CHINESE", "PORTUGUESE", "PATIENT DECLINED TO ANSWER", "AMERICAN INDIAN/ALASKA NATIVE",
    ];
    static readonly double[] RaceWeights = [62, 11, 7, 2, 2, 3, 2, 1, 1.5, 1, 1.5, 1, 1, 0.5];
    static readonly string[] EthnicitiesV1 =
    [
        "WHITE", "BLACK/AFRICAN AMERICAN", "UNKNOWN", "HISPANIC/LATINO", "ASIAN", "OTHER",
        "WHITE", "UNABLE TO OBTAIN", "HISPANIC/LATINO", "BLACK/AFRICAN AMERICAN",
        "ASIAN", "WHITE", "UNKNOWN", "AMERICAN INDIAN/ALASKA NATIVE",
    ];
    static readonly string[] AnchorYearGroups = ["2008 - 2010", "2011 - 2013", "2014 - 2016", "2017 - 2019", "2020 - 2022"];

    readonly SynthOptions options;
    readonly BlockOutput output;
    readonly bool v2;
    readonly SynthRandom rng;
    readonly int index;
    readonly long subjectId;
    readonly long idBase;
    int hadmCounter, transferCounter, studyCounter, imageCounter, labCounter, specimenCounter;

    PatientSimulator(SynthOptions options, BlockOutput output, int index)
    {
        this.options = options;
        this.output = output;
        this.index = index;
        v2 = options.Layout == MimicIvLayout.V2;
        rng = new SynthRandom(options.Seed, index);
        // 150 id slots per patient keep every id 8 digits long up to MaxPatients.
        idBase = (long)index * 150;
        subjectId = 10_000_000 + idBase + rng.NextInt(150);
    }

    /// <summary>Simulates patient <paramref name="index"/> into <paramref name="output"/>.</summary>
    public static void Simulate(SynthOptions options, BlockOutput output, int index) =>
        new PatientSimulator(options, output, index).Run();

    long NextHadmId() => 20_000_000 + idBase + hadmCounter++;
    long NextTransferId() => 30_000_000 + idBase + transferCounter++;
    long NextStudyId() => 50_000_000 + idBase + studyCounter++;

    /// <summary>One admission's schedule and state.</summary>
    sealed class Admission
    {
        public long HadmId;
        public DateTime AdmitTime, DischTime;
        public DateTime? DeathTime, EdRegTime, EdOutTime;
        public string AdmissionType = "";
        public readonly double[] Z = new double[LatentMath.Factors];
        public bool Died, Ventilated, IcdTen;
        public readonly byte[] Labels = new byte[26];
        public readonly double[] Probabilities = new double[26 * 4];
        public bool HasDiagnoses = true;
        public readonly List<IcuStay> Stays = [];
        public readonly List<DateTime> LabTimes = [];
    }

    /// <summary>One ICU stay of an admission.</summary>
    sealed class IcuStay
    {
        public long StayId;
        public DateTime InTime, OutTime;
        public string FirstUnit = "", LastUnit = "";
        public DateTime? UnitChange;
        public bool HasEvents = true, ArterialLine, Foley;
        public readonly List<DateTime> ApTimes = [];
        public double LosHours => (OutTime - InTime).TotalHours;
    }

    void Run()
    {
        double frailty = rng.Gaussian();
        bool female = rng.Chance(0.44);
        int anchorAge = (int)Math.Clamp(Math.Round(64 + 8 * frailty + rng.Gaussian(0, 12)), 18, 91);
        int anchorYear = 2110 + rng.NextInt(85);
        string anchorGroup = AnchorYearGroups[rng.NextInt(AnchorYearGroups.Length)];
        int race = rng.PickIndex(RaceWeights);
        string language = rng.Chance(0.9) ? "ENGLISH" : "?";
        string marital = rng.Chance(0.05) ? "" : MaritalStatuses[rng.NextInt(MaritalStatuses.Length)];
        string insurance = Insurances[rng.NextInt(Insurances.Length)];
        bool inCxr = rng.Chance(InCxrDatabase);
        int admissionCount = 1 + rng.PickIndex([75.0, 17, 6, 2]);

        var admissions = new List<Admission>();
        var cursor = new DateTime(anchorYear, 1, 1).AddDays(rng.Uniform(0, 330)).AddMinutes(rng.NextInt(1440));
        for (int a = 0; a < admissionCount; a++)
        {
            var adm = PlanAdmission(cursor, frailty);
            admissions.Add(adm);
            if (adm.Died) break;
            cursor = adm.DischTime.AddDays(rng.Uniform(20, 700));
        }

        DateTime? dod = null;
        var last = admissions[^1];
        if (last.Died) dod = last.DeathTime!.Value.Date;
        else if (rng.Chance(0.2)) dod = last.DischTime.AddDays(rng.Uniform(3, 900)).Date;

        output[SynthTable.Patients].Int(subjectId).Text(female ? "F" : "M").Int(anchorAge).Int(anchorYear).Text(anchorGroup).Date(dod).End();

        foreach (var adm in admissions)
        {
            WriteAdmission(adm, v2 ? RacesV2[race] : EthnicitiesV1[race], language, marital, insurance);
            WriteTransfers(adm);
            WriteDiagnoses(adm);
            WriteLabs(adm);
            foreach (var stay in adm.Stays)
            {
                WriteIcuStay(adm, stay);
                if (stay.HasEvents) WriteCharting(adm, stay, female, anchorAge);
            }
        }

        if (inCxr) WriteStudies(admissions, frailty);
        foreach (var adm in admissions)
            foreach (var stay in adm.Stays) WriteTruth(adm, stay);
    }

    Admission PlanAdmission(DateTime admit, double frailty)
    {
        var adm = new Admission { HadmId = NextHadmId() };
        for (int f = 0; f < LatentMath.Factors - 1; f++) adm.Z[f] = rng.Gaussian();
        adm.Z[(int)LatentFactor.Frailty] = frailty;
        adm.Probabilities[0] = CohortModel.Mortality.Probability(adm.Z);
        adm.Died = rng.Chance(adm.Probabilities[0]);
        adm.Labels[0] = (byte)(adm.Died ? 1 : 0);
        for (int v = 1; v < 4; v++) adm.Probabilities[v] = CohortModel.Mortality.Probability(adm.Z, (OracleView)v);
        for (int k = 0; k < 25; k++)
        {
            var model = CohortModel.Phenotypes[k];
            double p = model.Probability(adm.Z);
            adm.Labels[k + 1] = (byte)(rng.Chance(p) ? 1 : 0);
            adm.Probabilities[(k + 1) * 4] = p;
            for (int v = 1; v < 4; v++) adm.Probabilities[(k + 1) * 4 + v] = model.Probability(adm.Z, (OracleView)v);
        }
        adm.Ventilated = rng.Chance(LatentMath.Sigmoid(-0.8 + 0.9 * adm.Z[(int)LatentFactor.Fluid] + 0.5 * adm.Z[(int)LatentFactor.Instability]));
        adm.IcdTen = rng.Chance(0.45);
        adm.HasDiagnoses = !rng.Chance(AdmissionWithoutDiagnoses);

        adm.AdmitTime = TruncateToMinute(admit);
        adm.AdmissionType = AdmissionTypes[rng.PickIndex(AdmissionTypeWeights)];
        if (adm.AdmissionType is "EW EMER." or "EU OBSERVATION" or "URGENT")
        {
            adm.EdRegTime = adm.AdmitTime.AddMinutes(-rng.NextInt(90, 600));
            adm.EdOutTime = adm.AdmitTime.AddMinutes(rng.NextInt(0, 90));
        }

        // ICU stays: first after a pre-ICU ward/ED period, later ones after a ward gap.
        var t = adm.AdmitTime.AddHours(rng.Chance(0.4) ? rng.Uniform(0.05, 2) : rng.Exponential(30));
        int stayCount = 1 + rng.PickIndex([88.0, 10, 2]);
        for (int s = 0; s < stayCount; s++)
        {
            var stay = new IcuStay { InTime = TruncateToSecond(t) };
            double los = Math.Clamp(rng.LogNormal(46, 0.9), 4, 1440);
            stay.OutTime = TruncateToSecond(stay.InTime.AddHours(los));
            stay.FirstUnit = IcuUnits[rng.PickIndex(IcuUnitWeights)];
            stay.LastUnit = stay.FirstUnit;
            if (rng.Chance(0.08))
            {
                stay.LastUnit = IcuUnits[(Array.IndexOf(IcuUnits, stay.FirstUnit) + 1 + rng.NextInt(IcuUnits.Length - 1)) % IcuUnits.Length];
                stay.UnitChange = TruncateToSecond(stay.InTime.AddHours(los * rng.Uniform(0.2, 0.8)));
            }
            stay.HasEvents = !rng.Chance(StayWithoutEvents);
            stay.ArterialLine = rng.Chance(LatentMath.Sigmoid(-0.6 + 0.8 * adm.Z[(int)LatentFactor.Instability]));
            stay.Foley = rng.Chance(0.8);
            adm.Stays.Add(stay);
            t = stay.OutTime.AddHours(rng.Uniform(12, 120));
        }

        var lastOut = adm.Stays[^1].OutTime;
        if (adm.Died)
        {
            // Two in three in-hospital deaths happen in the ICU: the stay ends at death.
            adm.DeathTime = rng.Chance(0.65) ? lastOut : TruncateToMinute(lastOut.AddHours(rng.Uniform(2, 200)));
            adm.DischTime = adm.DeathTime.Value;
        }
        else
        {
            adm.DischTime = TruncateToMinute(lastOut.AddHours(2 + rng.Exponential(60)));
        }
        return adm;
    }

    static DateTime TruncateToMinute(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerMinute);
    static DateTime TruncateToSecond(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond);

    void WriteAdmission(Admission adm, string race, string language, string marital, string insurance)
    {
        var w = output[SynthTable.Admissions];
        w.Int(subjectId).Int(adm.HadmId).Time(adm.AdmitTime).Time(adm.DischTime).Time(adm.DeathTime).Text(adm.AdmissionType);
        if (v2) w.Text($"P{rng.NextInt(0, 99999):00000}");
        w.Text(adm.EdRegTime is null ? AdmissionLocations[1 + rng.NextInt(AdmissionLocations.Length - 1)] : "EMERGENCY ROOM")
            .Text(adm.Died ? "DIED" : DischargeLocations[rng.NextInt(DischargeLocations.Length)])
            .Text(insurance).Text(language).Text(marital).Text(race)
            .Time(adm.EdRegTime).Time(adm.EdOutTime).Int(adm.Died ? 1 : 0).End();
    }

    void Transfer(long? hadmId, long transferId, string eventType, string? unit, DateTime inTime, DateTime? outTime) =>
        output[SynthTable.Transfers].Int(subjectId).Int(hadmId).Int(transferId).Text(eventType).Text(unit).Time(inTime).Time(outTime).End();

    void WriteTransfers(Admission adm)
    {
        if (adm.EdRegTime is { } ed) Transfer(adm.HadmId, NextTransferId(), "ED", "Emergency Department", ed, adm.AdmitTime);
        var first = adm.Stays[0];
        bool directToIcu = (first.InTime - adm.AdmitTime).TotalHours < 1;
        if (!directToIcu) Transfer(adm.HadmId, NextTransferId(), "admit", Wards[rng.NextInt(Wards.Length)], adm.AdmitTime, first.InTime);
        for (int s = 0; s < adm.Stays.Count; s++)
        {
            var stay = adm.Stays[s];
            // MIMIC-IV's stay_id is the transfer_id of the stay's first ICU transfer.
            stay.StayId = NextTransferId();
            var firstEnd = stay.UnitChange ?? stay.OutTime;
            Transfer(adm.HadmId, stay.StayId, s == 0 && directToIcu ? "admit" : "transfer", stay.FirstUnit, stay.InTime, firstEnd);
            if (stay.UnitChange is { } change) Transfer(adm.HadmId, NextTransferId(), "transfer", stay.LastUnit, change, stay.OutTime);
            bool diedHere = adm.DeathTime == stay.OutTime;
            if (diedHere) continue;
            var wardEnd = s + 1 < adm.Stays.Count ? adm.Stays[s + 1].InTime : adm.DischTime;
            if (wardEnd > stay.OutTime) Transfer(adm.HadmId, NextTransferId(), "transfer", Wards[rng.NextInt(Wards.Length)], stay.OutTime, wardEnd);
        }
        Transfer(adm.HadmId, NextTransferId(), "discharge", null, adm.DischTime, null);
    }

    void WriteDiagnoses(Admission adm)
    {
        if (!adm.HasDiagnoses) return;
        var codes = new List<IcdCode>();
        for (int k = 0; k < 25; k++)
        {
            if (adm.Labels[k + 1] == 0) continue;
            int count = rng.Chance(0.2) ? 2 : 1;
            for (int c = 0; c < count; c++) codes.Add(IcdCatalog.Pick(rng, k, adm.IcdTen));
        }
        int filler = rng.NextInt(2, 12);
        for (int c = 0; c < filler; c++) codes.Add(IcdCatalog.Pick(rng, -1, adm.IcdTen));
        // Real diagnoses_icd lists a code once per admission, in seq_num order of importance.
        var seen = new HashSet<string>();
        var ordered = new List<IcdCode>();
        foreach (var code in codes) if (seen.Add(code.Code + "|" + code.Version)) ordered.Add(code);
        for (int i = ordered.Count - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (ordered[i], ordered[j]) = (ordered[j], ordered[i]);
        }
        var w = output[SynthTable.DiagnosesIcd];
        for (int i = 0; i < ordered.Count; i++)
            w.Int(subjectId).Int(adm.HadmId).Int(i + 1).Text(ordered[i].Code).Int(ordered[i].Version).End();
    }

    void WriteIcuStay(Admission adm, IcuStay stay) =>
        output[SynthTable.IcuStays].Int(subjectId).Int(adm.HadmId).Int(stay.StayId).Text(stay.FirstUnit).Text(stay.LastUnit)
            .Time(stay.InTime).Time(stay.OutTime).Num((stay.OutTime - stay.InTime).TotalDays, "G17").End();
}
