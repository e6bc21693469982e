using System.Runtime.CompilerServices;

// The data-layer tests observe internal counters (e.g. how often a file was hashed) and internal helpers.
[assembly: InternalsVisibleTo("Helpers.Tests")]
