using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("ClinFuse.Models.Tests")]
