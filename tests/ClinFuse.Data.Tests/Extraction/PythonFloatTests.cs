using System.Globalization;
using ClinFuse.Data.Extraction;

namespace ClinFuse.Data.Tests.Extraction;

public sealed class PythonFloatTests
{
    [Theory]
    [InlineData(152.0, "152.0")]
    [InlineData(0.18333333333333332, "0.18333333333333332")]
    [InlineData(37.05555555555556, "37.05555555555556")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1234567890123456.0, "1234567890123456.0")]
    [InlineData(-0.5, "-0.5")]
    [InlineData(0.0, "0.0")]
    [InlineData(60.9627648, "60.9627648")]
    [InlineData(1.5e300, "1.5e+300")]
    [InlineData(-2.5e-7, "-2.5e-07")]
    public void Repr_matches_python(double value, string expected) => Assert.Equal(expected, PythonFloat.Repr(value));

    [Fact]
    public void Repr_round_trips_and_keeps_python_notation_for_random_doubles()
    {
        var random = new Random(20261125);
        for (int i = 0; i < 20_000; i++)
        {
            var value = BitConverter.Int64BitsToDouble(random.NextInt64());
            if (!double.IsFinite(value)) continue;
            var text = PythonFloat.Repr(value);
            Assert.Equal(value, double.Parse(text, CultureInfo.InvariantCulture));
            // Python: fixed notation exactly for decimal exponents in [-4, 16), and never an upper-case E.
            var exponent = Math.Floor(Math.Log10(Math.Abs(value)));
            if (value != 0 && Math.Abs(exponent - Math.Log10(Math.Abs(value))) > 1e-9 && exponent is > -4 and < 15)
                Assert.DoesNotContain("e", text);
            Assert.DoesNotContain("E", text);
        }
    }

    [Theory]
    [InlineData("1.1352314814814815", "1.1352314814814817")] // pandas' parser is not correctly rounded here
    [InlineData("0.67896990740740737", "0.6789699074074073")]
    [InlineData("7.7025115740740739", "7.702511574074075")]
    [InlineData("2.5", "2.5")]
    [InlineData("-3", "-3.0")]
    [InlineData("1e3", "1000.0")]
    public void Pandas_parser_reproduces_read_csv(string text, string repr)
    {
        Assert.True(PythonFloat.TryParsePandas(text, out var v));
        Assert.Equal(repr, PythonFloat.Repr(v));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData(".")]
    [InlineData("1.2.3")]
    public void Pandas_parser_rejects_non_numbers(string text) => Assert.False(PythonFloat.TryParsePandas(text, out _));

    [Theory]
    [InlineData(" 12 ", 12.0)]
    [InlineData("inf", double.PositiveInfinity)]
    [InlineData("-Infinity", double.NegativeInfinity)]
    public void Python_float_accepts_what_python_accepts(string text, double expected)
    {
        Assert.True(PythonFloat.TryParse(text, out var v));
        Assert.Equal(expected, v);
    }
}
