using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("ClinFuse.Data.Tests")]
