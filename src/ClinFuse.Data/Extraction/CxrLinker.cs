using System.Globalization;
using ClinFuse.Core.Stages;
using ClinFuse.Data.Mimic;
using ClinFuse.Core.Tasks;

namespace ClinFuse.Data.Extraction;

/// <summary>One image row of mimic-cxr-2.0.0-metadata.</summary>
internal sealed record CxrImage(string DicomId, long SubjectId, long StudyId, string ViewPosition, DateTime? StudyTime)
{
    /// <summary>Path relative to the MIMIC-CXR-JPG root: files/p{2 digits}/p{subject}/s{study}/{dicom}.jpg.</summary>
    public string RelativePath
    {
        get
        {
            var subject = SubjectId.ToString(CultureInfo.InvariantCulture);
            return $"files/p{subject[..Math.Min(2, subject.Length)]}/p{subject}/s{StudyId.ToString(CultureInfo.InvariantCulture)}/{DicomId}.jpg";
        }
    }
}

/// <summary>
/// Links a chest X-ray to a stay (MedFuse <c>datasets/fusion.py</c>): AP views only, the latest
/// image with intime ≤ StudyDateTime ≤ end, where end = intime + 48 h for IHM and outtime for
/// phenotyping.
/// </summary>
internal sealed class CxrLinker
{
    readonly Dictionary<long, List<CxrImage>> bySubject;

    CxrLinker(Dictionary<long, List<CxrImage>> bySubject, IReadOnlyList<CxrImage> images, long missingTime)
    {
        this.bySubject = bySubject;
        Images = images;
        ImagesWithoutTime = missingTime;
    }

    /// <summary>The cohort subjects' images (all views).</summary>
    public IReadOnlyList<CxrImage> Images { get; }

    /// <summary>Images whose StudyDate/StudyTime is missing or unreadable (never linked).</summary>
    public long ImagesWithoutTime { get; }

    /// <summary>Of <see cref="ImagesWithoutTime"/>, those whose StudyDate/StudyTime are present but not a valid date and time.</summary>
    public long ImagesWithUnreadableTime { get; private init; }

    /// <summary>Reads the metadata rows of <paramref name="subjects"/>.</summary>
    public static CxrLinker Load(MimicCxrSource source, IReadOnlySet<long> subjects, IProgressStep? progress, CancellationToken ct)
    {
        var images = new List<CxrImage>();
        long missing = 0, unreadable = 0;
        CsvSource.ForEachRow(source.Metadata, ["dicom_id", "subject_id", "study_id", "ViewPosition", "StudyDate", "StudyTime"], [],
            (row, c) =>
            {
                var subject = CsvSource.Id(row, c[1], "subject_id") ?? throw new FormatException("subject_id is empty");
                if (!subjects.Contains(subject)) return;
                var time = StudyDateTime(row[c[4]].Span, row[c[5]].Span);
                if (time is null) missing++;
                if (time is null && !(row[c[4]].Span.IsEmpty || row[c[5]].Span.IsEmpty)) unreadable++;
                images.Add(new CxrImage(row[c[0]].ToString(), subject, CsvSource.Id(row, c[2], "study_id") ?? 0, row[c[3]].ToString(), time));
            }, progress, ct, requireRows: true);
        var bySubject = images.GroupBy(i => i.SubjectId).ToDictionary(g => g.Key, g => g.ToList());
        return new CxrLinker(bySubject, images, missing) { ImagesWithUnreadableTime = unreadable };
    }

    /// <summary>
    /// StudyDate (yyyymmdd) + StudyTime (hhmmss[.fff], leading zeros possibly lost) → time, the
    /// fraction truncated to whole seconds as the reference does; null when either is missing.
    /// </summary>
    public static DateTime? StudyDateTime(ReadOnlySpan<char> date, ReadOnlySpan<char> time)
    {
        if (date.IsEmpty || time.IsEmpty) return null;
        if (!double.TryParse(date, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return null;
        if (!double.TryParse(time, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) || t < 0) return null;
        var ymd = (long)d;
        var hms = (long)Math.Floor(t);
        int year = (int)(ymd / 10000), month = (int)(ymd / 100 % 100), day = (int)(ymd % 100);
        int hour = (int)(hms / 10000), minute = (int)(hms / 100 % 100), second = (int)(hms % 100);
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return null;
        return new DateTime(year, month, day, hour, minute, second);
    }

    /// <summary>The image linked to <paramref name="stay"/> for <paramref name="task"/>, or null.</summary>
    public LinkedImage? Link(Stay stay, ClinicalTask task)
    {
        if (!bySubject.TryGetValue(stay.SubjectId, out var images)) return null;
        var end = task == ClinicalTask.InHospitalMortality ? stay.Intime.AddHours(TaskBuilder.IhmHours) : stay.Outtime;
        CxrImage? best = null;
        foreach (var image in images)
        {
            if (image.ViewPosition != "AP" || image.StudyTime is not { } t || t < stay.Intime || t > end) continue;
            // Ties (several AP images of one study) go to the largest dicom_id; the reference's pick is arbitrary.
            if (best is null || t > best.StudyTime || (t == best.StudyTime && string.CompareOrdinal(image.DicomId, best.DicomId) > 0)) best = image;
        }
        return best is null ? null : new LinkedImage(best.DicomId, best.StudyId, best.RelativePath, best.StudyTime!.Value);
    }
}
