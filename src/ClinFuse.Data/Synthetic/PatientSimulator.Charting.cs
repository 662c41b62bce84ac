namespace ClinFuse.Data.Synthetic;

/// <summary>Hourly charting, labs and urine output of the simulated stays.</summary>
internal sealed partial class PatientSimulator
{
    static readonly string[] EyeOpening = ["Spontaneously", "To Speech", "To Pain", "None"];
    static readonly string[] VerbalResponse = ["Oriented", "Confused", "Inappropriate Words", "Incomprehensible sounds", "No Response"];
    static readonly string[] MotorResponse = ["Obeys Commands", "Localizes Pain", "Flex-withdraws", "Abnormal Flexion", "Abnormal extension", "No response"];

    /// <summary>A chart item outside the 17 variables, with the values it takes.</summary>
    sealed record FillerItem(int ItemId, string? Unit, string[] Texts, double Mean, double Sd, int Decimals);

    static readonly FillerItem[] Fillers =
    [
        new(220048, null, ["SR (Sinus Rhythm)", "ST (Sinus Tachycardia)", "AF (Atrial Fibrillation)", "SB (Sinus Bradycardia)"], 0, 0, 0),
        new(224650, null, ["None", "PVC's", "PAC's"], 0, 0, 0),
        new(220046, "bpm", [], 120, 0, 0),
        new(220047, "bpm", [], 50, 0, 0),
        new(223751, "mmHg", [], 160, 0, 0),
        new(223752, "mmHg", [], 90, 0, 0),
        new(224641, null, ["Yes"], 0, 0, 0),
        new(224642, null, ["Oral", "Axillary", "Blood", "Temporal"], 0, 0, 0),
        new(223985, null, ["Regular", "Irregular", "Labored"], 0, 0, 0),
        new(223999, null, ["Moist", "Dry"], 0, 0, 0),
        new(224054, null, ["No Impairment", "Slightly Limited", "Very Limited"], 0, 0, 0),
        new(224055, null, ["Rarely Moist", "Occasionally Moist", "Moist"], 0, 0, 0),
        new(224056, null, ["Bedfast", "Chairfast", "Walks Occasionally"], 0, 0, 0),
        new(224058, null, ["Adequate", "Probably Inadequate"], 0, 0, 0),
        new(224059, null, ["No Apparent Problem", "Potential Problem", "Problem"], 0, 0, 0),
        new(224080, null, ["30 Degrees", "45 Degrees", "Flat"], 0, 0, 0),
        new(224082, null, ["Side to Side", "Self"], 0, 0, 0),
        new(224084, null, ["Bed", "Chair", "Dangle"], 0, 0, 0),
        new(224086, null, ["Tolerated well", "Limited by fatigue"], 0, 0, 0),
        new(224093, null, ["Left Side", "Right Side", "Supine", "Sitting"], 0, 0, 0),
        new(223934, null, ["Palpable", "Doppler"], 0, 0, 0),
        new(223935, null, ["Palpable", "Doppler"], 0, 0, 0),
        new(223936, null, ["Palpable", "Doppler"], 0, 0, 0),
        new(228096, null, ["0  Alert and calm", "-1 Awakens to voice (eyes open/contact) > 10 sec", "-2 Light sedation, briefly awakens to voice (eyes open/contact) < 10 sec"], 0, 0, 0),
        new(220292, "L/min", [], 4, 0, 0),
        new(220228, "g/dl", [], 10.5, 1.5, 1),
        new(220546, null, [], 9, 3, 1),
        new(220615, null, [], 1.1, 0.4, 1),
        new(220645, null, [], 139, 4, 0),
        new(220635, null, [], 2.0, 0.3, 1),
        new(227073, null, [], 13, 3, 0),
        new(224828, null, [], 0, 3, 0),
    ];

    /// <summary>A lab test: value = base + latent effects + noise, on a log scale when <see cref="LogScale"/>.</summary>
    sealed record LabItem(int ItemId, string Unit, double Base, double Metabolic, double Instability, double Fluid, double Sd, int Decimals, bool LogScale, double RefLow, double RefHigh);

    static readonly LabItem[] ChemistryPanel =
    [
        new(50912, "mg/dL", 1.0, 0.35, 0.1, 0, 0.2, 1, true, 0.5, 1.2),
        new(50983, "mEq/L", 139, -1.5, 0, 0, 4, 0, false, 133, 145),
        new(50971, "mEq/L", 4.2, 0.2, 0, 0, 0.5, 1, false, 3.3, 5.1),
        new(51006, "mg/dL", 20, 0.35, 0.1, 0, 0.25, 0, true, 6, 20),
        new(50902, "mEq/L", 103, 0, 0, 0, 4, 0, false, 96, 108),
        new(50882, "mEq/L", 24, -2.5, -0.5, 0, 2.5, 0, false, 22, 32),
        new(50868, "mEq/L", 14, 1.5, 0.5, 0, 2.5, 0, false, 8, 20),
        new(50931, "mg/dL", 130, 28, 5, 0, 25, 0, false, 70, 100),
    ];

    static readonly LabItem[] BloodCountPanel =
    [
        new(51301, "K/uL", 9, 0, 0.25, 0, 0.3, 1, true, 4.0, 11.0),
        new(51222, "g/dL", 10.5, 0, -0.4, 0, 1.5, 1, false, 13.7, 17.5),
        new(51221, "%", 32, 0, -1.2, 0, 4.5, 1, false, 40, 51),
        new(51265, "K/uL", 220, 0, -25, 0, 70, 0, false, 150, 440),
    ];

    static readonly LabItem[] BloodGasPanel =
    [
        new(50820, "units", 7.39, -0.045, -0.02, 0, 0.04, 2, false, 7.35, 7.45),
        new(50818, "mm Hg", 40, 0, 0, 3, 6, 0, false, 35, 45),
        new(50821, "mm Hg", 95, 0, 0, -10, 30, 0, false, 85, 105),
        new(50817, "%", 96, 0, 0, -1.5, 2, 0, false, 0, 0),
        new(50809, "mg/dL", 130, 28, 5, 0, 25, 0, false, 70, 105),
        new(50813, "mmol/L", 1.5, 0, 0.4, 0, 0.3, 1, true, 0.5, 2.0),
    ];

    long stayCaregiverBase;

    void WriteCharting(Admission adm, IcuStay stay, bool female, int age)
    {
        var z = adm.Z;
        double inst = z[(int)LatentFactor.Instability], metab = z[(int)LatentFactor.Metabolic];
        double neuro = z[(int)LatentFactor.Neuro], fluid = z[(int)LatentFactor.Fluid];
        stayCaregiverBase = rng.NextInt(10000, 99000);
        double weightKg = Math.Round(Math.Clamp(rng.Gaussian(female ? 72 : 86, 16) + 3 * fluid, 38, 220), 1);
        double heightCm = Math.Round(Math.Clamp(rng.Gaussian(female ? 162 : 176, 7), 140, 205));
        if (rng.Chance(ChartingBeforeIntime))
        {
            int early = rng.NextInt(1, 3);
            for (int i = 0; i < early; i++)
                ChartNumber(adm, stay, TruncateToMinute(stay.InTime.AddHours(-rng.Uniform(0.2, 3))), 220045, Math.Round(85 + 9 * inst + rng.Gaussian(0, 8)), "bpm");
        }

        var admitChart = TruncateToMinute(stay.InTime.AddMinutes(rng.NextInt(5, 50)));
        if (rng.Chance(0.3)) ChartNumber(adm, stay, admitChart, 226531, Math.Round(weightKg / 0.453592, 1), "lbs");
        else ChartNumber(adm, stay, admitChart, 226512, weightKg, "kg");
        if (rng.Chance(0.6))
        {
            ChartNumber(adm, stay, admitChart, 226730, heightCm, "cm");
            if (rng.Chance(0.5)) ChartNumber(adm, stay, admitChart, 226707, Math.Round(heightCm / 2.54), "Inch");
        }

        var ar = new double[8];
        for (int i = 0; i < ar.Length; i++) ar[i] = rng.Gaussian();
        var hour = new DateTime(stay.InTime.Ticks - stay.InTime.Ticks % TimeSpan.TicksPerHour).AddHours(1);
        int sbpItem = stay.ArterialLine ? 220050 : 220179, dbpItem = stay.ArterialLine ? 220051 : 220180, mbpItem = stay.ArterialLine ? 220052 : 220181;
        var urine = output[SynthTable.OutputEvents];
        for (int i = 0; hour < stay.OutTime; i++, hour = hour.AddHours(1))
        {
            // AR(1) deviations with unit stationary variance: physiology drifts within the stay.
            for (int k = 0; k < ar.Length; k++) ar[k] = 0.9 * ar[k] + 0.4359 * rng.Gaussian();

            double hr = Math.Round(85 + 9 * inst + 4 * fluid + 7 * ar[0] + rng.Gaussian(0, 2));
            if (rng.Chance(ImplausibleVital)) hr = rng.Chance(0.5) ? 0 : rng.NextInt(300, 999);
            ChartNumber(adm, stay, hour, 220045, hr, "bpm");

            double sbp = Math.Round(120 - 11 * inst + 10 * ar[1] + rng.Gaussian(0, 3));
            double dbp = Math.Round(62 - 6 * inst + 6 * ar[2] + rng.Gaussian(0, 2));
            if (rng.Chance(ImplausibleVital)) sbp = rng.Chance(0.5) ? 0 : 1200;
            ChartNumber(adm, stay, hour, sbpItem, sbp, "mmHg");
            ChartNumber(adm, stay, hour, dbpItem, dbp, "mmHg");
            ChartNumber(adm, stay, hour, mbpItem, Math.Round((sbp + 2 * dbp) / 3 + rng.Gaussian(0, 1.5)), "mmHg");

            ChartNumber(adm, stay, hour, adm.Ventilated ? 224690 : 220210, Math.Max(4, Math.Round(18 + 3 * fluid + 1.2 * inst + 3 * ar[3])), "insp/min");
            double spo2 = Math.Min(100, Math.Round(97 - 1.6 * fluid + 1.5 * ar[4]));
            if (rng.Chance(ImplausibleVital)) spo2 = rng.Chance(0.5) ? 0 : 150;
            ChartNumber(adm, stay, hour, 220277, spo2, "%");

            if (i % 4 == 0)
            {
                double celsius = Math.Round(37 + 0.45 * inst + 0.35 * ar[5], 1);
                if (rng.Chance(0.1)) ChartNumber(adm, stay, hour, 223762, celsius, "°C");
                else if (rng.Chance(CelsiusInFahrenheitItem)) ChartNumber(adm, stay, hour, 223761, celsius, "°F");
                else ChartNumber(adm, stay, hour, 223761, Math.Round(celsius * 9 / 5 + 32, 1), "°F");
            }
            if (i % 4 == 2) ChartGcs(adm, stay, hour, neuro + 0.4 * ar[6]);
            if (i % 6 == 3) ChartNumber(adm, stay, hour.AddMinutes(rng.NextInt(0, 40)), 225664, Math.Max(20, Math.Round(130 + 28 * metab + 20 * ar[7])), "mg/dL");
            if (adm.Ventilated && i % 4 == 1)
            {
                double fio2 = Math.Clamp(Math.Round(40 + 12 * fluid + 8 * ar[3]), 21, 100);
                ChartNumber(adm, stay, hour, 223835, rng.Chance(FiO2AsFraction) ? fio2 / 100 : fio2, "%");
            }
            if (adm.Ventilated && i % 8 == 5) ChartNumber(adm, stay, hour.AddMinutes(rng.NextInt(0, 30)), 223830, Math.Round(7.39 - 0.045 * metab - 0.02 * inst + 0.03 * rng.Gaussian(), 2), "units");
            if (i % 24 == 23)
            {
                double daily = Math.Round(weightKg + rng.Gaussian(0, 1), 1);
                ChartNumber(adm, stay, hour, 224639, rng.Chance(0.01) ? Math.Round(daily / 0.453592, 1) : daily, "kg");
            }

            if (stay.Foley || i % 4 == 0)
            {
                double ml = Math.Max(0, Math.Round((stay.Foley ? 70 : 250) * Math.Exp(-0.3 * metab) + 20 * ar[7]));
                var t = stay.Foley ? hour : hour.AddMinutes(rng.NextInt(0, 59));
                urine.Int(subjectId).Int(adm.HadmId).Int(stay.StayId);
                if (v2) urine.Int(stayCaregiverBase + rng.NextInt(4));
                urine.Time(t).Time(t.AddMinutes(rng.NextInt(0, 30))).Int(stay.Foley ? 226559 : 226560).Num(ml).Text("ml").End();
            }

            for (int f = 0; f < options.FillerChartRowsPerHour; f++) ChartFiller(adm, stay, hour.AddMinutes(rng.NextInt(60)));
        }

        if (rng.Chance(ChartingBeforeIntime))
            ChartNumber(adm, stay, TruncateToMinute(stay.OutTime.AddHours(rng.Uniform(0.1, 2))), 220045, Math.Round(85 + 9 * inst + rng.Gaussian(0, 8)), "bpm");
    }

    void ChartGcs(Admission adm, IcuStay stay, DateTime t, double depression)
    {
        int eye = depression < 0.5 ? 0 : depression < 1.2 ? 1 : depression < 1.8 ? 2 : 3;
        int motor = depression < 0.7 ? 0 : depression < 1.3 ? 1 : depression < 1.7 ? 2 : depression < 2.0 ? 3 : depression < 2.3 ? 4 : 5;
        int verbal = depression < 0.3 ? 0 : depression < 1.0 ? 1 : depression < 1.5 ? 2 : depression < 2.0 ? 3 : 4;
        ChartText(adm, stay, t, 220739, EyeOpening[eye], 4 - eye, null);
        if (adm.Ventilated) ChartText(adm, stay, t, 223900, "No Response-ETT", 1, null);
        else ChartText(adm, stay, t, 223900, VerbalResponse[verbal], 5 - verbal, null);
        ChartText(adm, stay, t, 223901, MotorResponse[motor], 6 - motor, null);
    }

    void ChartFiller(Admission adm, IcuStay stay, DateTime t)
    {
        var item = Fillers[rng.NextInt(Fillers.Length)];
        if (item.Texts.Length > 0) ChartText(adm, stay, t, item.ItemId, item.Texts[rng.NextInt(item.Texts.Length)], null, item.Unit);
        else ChartNumber(adm, stay, t, item.ItemId, Math.Round(item.Mean + item.Sd * rng.Gaussian(), item.Decimals), item.Unit);
    }

    void ChartPrefix(Admission adm, IcuStay stay, DateTime t, int itemId, long caregiver, DateTime store)
    {
        var w = output[SynthTable.ChartEvents];
        w.Int(subjectId).Int(adm.HadmId).Int(stay.StayId);
        if (v2) w.Int(caregiver);
        w.Time(t).Time(store).Int(itemId);
    }

    void ChartNumber(Admission adm, IcuStay stay, DateTime t, int itemId, double value, string? unit)
    {
        long caregiver = stayCaregiverBase + rng.NextInt(4);
        var store = t.AddMinutes(rng.NextInt(0, 45));
        bool empty = rng.Chance(EmptyValue);
        int copies = rng.Chance(DuplicateRow) ? 2 : 1;
        var w = output[SynthTable.ChartEvents];
        for (int c = 0; c < copies; c++)
        {
            ChartPrefix(adm, stay, t, itemId, caregiver, store);
            if (empty) w.Empty().Empty();
            else w.Num(value).Num(value);
            w.Text(unit).Int(0).End();
        }
    }

    void ChartText(Admission adm, IcuStay stay, DateTime t, int itemId, string value, double? number, string? unit)
    {
        long caregiver = stayCaregiverBase + rng.NextInt(4);
        var store = t.AddMinutes(rng.NextInt(0, 45));
        int copies = rng.Chance(DuplicateRow) ? 2 : 1;
        var w = output[SynthTable.ChartEvents];
        for (int c = 0; c < copies; c++)
        {
            ChartPrefix(adm, stay, t, itemId, caregiver, store);
            w.Text(value);
            if (number is { } n) w.Num(n); else w.Empty();
            w.Text(unit).Int(0).End();
        }
    }

    /// <summary>Labs of the whole admission: a morning panel every day, an afternoon one in the ICU, blood gases when ventilated.</summary>
    void WriteLabs(Admission adm)
    {
        LabPanel(adm, adm.AdmitTime.AddMinutes(rng.NextInt(20, 90)), ChemistryPanel, "STAT");
        LabPanel(adm, adm.AdmitTime.AddMinutes(rng.NextInt(20, 90)), BloodCountPanel, "STAT");
        for (var day = adm.AdmitTime.Date.AddDays(1); day < adm.DischTime; day = day.AddDays(1))
        {
            var morning = day.AddHours(4).AddMinutes(rng.NextInt(0, 60));
            if (morning < adm.DischTime)
            {
                LabPanel(adm, morning, ChemistryPanel, "ROUTINE");
                LabPanel(adm, morning, BloodCountPanel, "ROUTINE");
            }
            foreach (var stay in adm.Stays)
            {
                var afternoon = day.AddHours(16).AddMinutes(rng.NextInt(0, 60));
                if (afternoon > stay.InTime && afternoon < stay.OutTime) LabPanel(adm, afternoon, ChemistryPanel, "ROUTINE");
                if (!adm.Ventilated) continue;
                for (int h = 2; h < 24; h += 6)
                {
                    var gas = day.AddHours(h).AddMinutes(rng.NextInt(0, 50));
                    if (gas > stay.InTime && gas < stay.OutTime) LabPanel(adm, gas, BloodGasPanel, "STAT");
                }
            }
        }
    }

    void LabPanel(Admission adm, DateTime t, LabItem[] panel, string priority)
    {
        var z = adm.Z;
        long specimen = 1_000_000 + (long)index * 100_000 + specimenCounter++;
        var w = output[SynthTable.LabEvents];
        var store = t.AddMinutes(rng.NextInt(30, 150));
        foreach (var item in panel)
        {
            double shift = item.Metabolic * z[(int)LatentFactor.Metabolic] + item.Instability * z[(int)LatentFactor.Instability] + item.Fluid * z[(int)LatentFactor.Fluid];
            double value = item.LogScale
                ? item.Base * Math.Exp(shift + item.Sd * rng.Gaussian())
                : item.Base + shift + item.Sd * rng.Gaussian();
            value = Math.Round(Math.Max(0, value), item.Decimals);
            if (item.ItemId == 50817) value = Math.Min(100, value);
            bool hasRange = item.RefHigh > 0;
            bool abnormal = hasRange && (value < item.RefLow || value > item.RefHigh);
            w.Int(1 + (long)index * 1_000_000 + labCounter++).Int(subjectId).Int(adm.HadmId).Int(specimen).Int(item.ItemId);
            if (v2) w.Empty();
            w.Time(t).Time(store);
            // MIMIC-IV de-identification blanks some values to "___" while keeping valuenum.
            if (rng.Chance(0.01)) w.Text("___"); else w.Num(value);
            w.Num(value).Text(item.Unit);
            if (hasRange) w.Num(item.RefLow).Num(item.RefHigh); else w.Empty().Empty();
            w.Text(abnormal ? "abnormal" : null).Text(priority).Empty().End();
            if (item.ItemId is 50931 or 50820) adm.LabTimes.Add(t);
        }
    }
}
