namespace ModelSecurity.Notebooks.Execution;

/// <summary>
/// Who runs the notebook. Cells can ask (through <c>Exercise(...)</c>) so that in-notebook checks behave right for the host:
/// a learner's run gets feedback, a grading run leaves the verdict to the trusted grader.
/// </summary>
public enum NotebookHost
{
    /// <summary>A learner's run: <c>course run</c>, the Jupyter kernel, tests. In-notebook checks run and show feedback.</summary>
    Interactive,

    /// <summary>
    /// The grading worker of <c>course grade</c>: in-notebook check cells only print a note (the grader runs the checks
    /// itself afterwards; a check cell neither counts nor changes the grade).
    /// </summary>
    Grader,
}
