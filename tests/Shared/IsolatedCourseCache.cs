using System.Runtime.CompilerServices;

namespace ModelSecurity.Tests.Shared;

/// <summary>
/// Keeps the tests' notebook runs out of the user's course cache (~/.cache/modelsecurity-course, where
/// <c>#r "nuget: ..."</c> restores go): unless COURSE_CACHE is already set, the test process and every process it
/// starts (course CLI, grade workers, the Jupyter kernel) use .cache/tests inside the clone, which .gitignore leaves
/// out. It persists between runs, so a restore is paid once per clone, not once per test.
/// Compiled into each test project that runs notebooks (linked from tests/Shared).
/// </summary>
internal static class IsolatedCourseCache
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("COURSE_CACHE"))) return;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Course.sln"))) continue;
            Environment.SetEnvironmentVariable("COURSE_CACHE", Path.Combine(dir.FullName, ".cache", "tests"));
            return;
        }
    }
}
