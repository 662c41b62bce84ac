using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("ClinFuse.Features.Tests")]
