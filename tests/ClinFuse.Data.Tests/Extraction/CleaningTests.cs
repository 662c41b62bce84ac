using ClinFuse.Core;
using ClinFuse.Data.Extraction;

namespace ClinFuse.Data.Tests.Extraction;

/// <summary>Per-variable cleaning: MedFuse's behaviour (bugs included) and the default's fixes, item by item.</summary>
public sealed class CleaningTests
{
    static string? Clean(int itemId, string value, CompatMode compat, string valueNum = "", string uom = "")
    {
        var item = ExtractionResources.Items[itemId];
        return EventCleaning.Clean(new ChartEvent(0, 0, itemId, value, valueNum, uom), item, compat)?.Cell;
    }

    [Fact]
    public void Seventeen_variables_from_114_ready_items()
    {
        Assert.Equal(114, ExtractionResources.Items.Count);
        Assert.Equal(17, ExtractionResources.Items.Values.Select(i => i.Variable).Distinct().Count());
        Assert.DoesNotContain(ExtractionResources.Items.Values, i => i.Variable < 0);
    }

    [Theory]
    [InlineData("40", "0.4", "0.4")]
    [InlineData("0.5", "0.005", "0.5")] // compat divides every value by 100, fractions included
    [InlineData("100", "1.0", "1.0")]
    public void FiO2(string value, string compat, string fixedValue)
    {
        Assert.Equal(compat, Clean(223835, value, CompatMode.MedFuse));
        Assert.Equal(fixedValue, Clean(223835, value, CompatMode.None, uom: "%"));
    }

    [Fact]
    public void Height_in_inches_is_converted_only_by_the_default()
    {
        Assert.Equal("60.0", Clean(226707, "60", CompatMode.MedFuse));
        Assert.Equal("152.0", Clean(226707, "60", CompatMode.None, uom: "Inch"));
        Assert.Equal("152.0", Clean(226730, "152", CompatMode.None, uom: "cm"));
    }

    [Fact]
    public void Temperature_at_or_above_79_is_fahrenheit_in_both_modes()
    {
        Assert.Equal("37.0", Clean(223761, "98.6", CompatMode.MedFuse));
        Assert.Equal("37.0", Clean(223761, "98.6", CompatMode.None, uom: "°F"));
        Assert.Equal("37.05555555555556", Clean(223762, "98.7", CompatMode.MedFuse)); // Celsius item holding °F
        Assert.Equal("37.5", Clean(223762, "37.5", CompatMode.MedFuse));
    }

    [Fact]
    public void Pounds_become_kilograms()
    {
        Assert.Equal("60.9627648", Clean(226531, "134.4", CompatMode.MedFuse));
        Assert.Equal("60.9627648", Clean(226531, "134.4", CompatMode.None));
        Assert.Equal("80.0", Clean(224639, "80", CompatMode.MedFuse));
    }

    [Fact]
    public void Redacted_lab_text_is_dropped_by_compat_and_read_from_valuenum_by_default()
    {
        Assert.Null(Clean(50931, "___", CompatMode.MedFuse, valueNum: "120"));
        Assert.Equal("120.0", Clean(50931, "___", CompatMode.None, valueNum: "120"));
        Assert.Null(Clean(50820, "-7.3", CompatMode.MedFuse)); // signed text fails the unsigned pattern
    }

    [Fact]
    public void Oxygen_saturation_fractions_become_percent()
    {
        Assert.Equal("95.0", Clean(220277, "0.95", CompatMode.MedFuse));
        Assert.Equal("98.0", Clean(220277, "98", CompatMode.MedFuse));
    }

    [Fact]
    public void Blood_pressure_pairs_are_split()
    {
        Assert.Equal("120.0", Clean(220050, "120/80", CompatMode.MedFuse));
        Assert.Equal("80.0", Clean(220051, "120/80", CompatMode.MedFuse));
    }

    [Fact]
    public void Uncleaned_variables_keep_their_text_in_compat()
    {
        Assert.Equal("86", Clean(220045, "86", CompatMode.MedFuse));
        Assert.Equal("Obeys Commands", Clean(223901, "Obeys Commands", CompatMode.MedFuse));
        Assert.Equal("None", Clean(220739, "None", CompatMode.None));
    }

    [Fact]
    public void Default_removes_outliers_and_clamps_to_the_valid_range()
    {
        Assert.Equal("500", Clean(220045, "500", CompatMode.MedFuse));
        Assert.Null(Clean(220045, "500", CompatMode.None)); // above OUTLIER HIGH 390
        Assert.Equal("350.0", Clean(220045, "360", CompatMode.None)); // clamped to VALID HIGH
        Assert.Null(Clean(220277, "160", CompatMode.None));
    }

    [Fact]
    public void Non_numeric_value_stops_compat_and_is_dropped_by_default()
    {
        Assert.Throws<FormatException>(() => Clean(220050, "see note", CompatMode.MedFuse));
        Assert.Null(Clean(220050, "see note", CompatMode.None));
    }

    [Fact]
    public void Duplicates_are_ranked_numerically_for_numbers_and_ordinally_for_text()
    {
        Assert.True(CleanValue.Compare(new CleanValue(0, "87"), new CleanValue(0, "108")) > 0); // the reference picks MBP "87" over "108"
        Assert.True(CleanValue.Compare(new CleanValue(108, null), new CleanValue(87, null)) > 0);
        Assert.True(CleanValue.Compare(new CleanValue(5, null), new CleanValue(0, "1")) < 0);
    }
}
