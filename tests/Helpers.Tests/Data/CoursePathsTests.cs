namespace ModelSecurity.Tests.Data;

public class CoursePathsTests
{
    [Fact]
    public void TheCourseFolderIsFoundFromTheTestBinaries()
    {
        string root = CoursePaths.Discover(null, [AppContext.BaseDirectory]);
        Assert.True(File.Exists(Path.Combine(root, "Course.sln")));
        Assert.True(File.Exists(Path.Combine(CoursePaths.FashionMnistDirectory, "SHA256SUMS")));
        Assert.Equal(Path.Combine(CoursePaths.Root, "data"), CoursePaths.DataDirectory);
        Assert.Equal(Path.Combine(CoursePaths.Root, "data", "fashion-mnist"), CoursePaths.FashionMnistDirectory);
    }

    [Fact]
    public void TheWalkStopsAtTheFirstFolderWithBothCourseSlnAndData()
    {
        using var temp = new TempFolder();
        string root = Path.Combine(temp.Path, "course");
        string inner = Path.Combine(root, "src", "inner");
        Directory.CreateDirectory(Path.Combine(root, "data"));
        Directory.CreateDirectory(inner);
        File.WriteAllText(Path.Combine(root, "Course.sln"), "");
        File.WriteAllText(Path.Combine(root, "src", "Course.sln"), ""); // no data/ beside it: not the course folder
        string deep = Path.Combine(inner, "bin", "Debug");
        Directory.CreateDirectory(deep);

        Assert.Equal(root, CoursePaths.Discover(null, [deep]));
        Assert.Equal(root, CoursePaths.Discover(null, [temp.Path, deep])); // first start fails, second succeeds
        Assert.Equal(temp.Path, CoursePaths.Discover(temp.Path, [deep])); // COURSE_ROOT wins
    }

    [Fact]
    public void FailuresSayToSetCourseRoot()
    {
        using var temp = new TempFolder();
        var none = Assert.Throws<InvalidOperationException>(() => CoursePaths.Discover(null, [temp.Path]));
        Assert.Contains("set COURSE_ROOT to the course folder", none.Message);
        Assert.Contains(temp.Path, none.Message);

        var wrong = Assert.Throws<InvalidOperationException>(() => CoursePaths.Discover(Path.Combine(temp.Path, "missing"), []));
        Assert.Contains("COURSE_ROOT=", wrong.Message);
        Assert.Contains("does not exist", wrong.Message);
    }
}
