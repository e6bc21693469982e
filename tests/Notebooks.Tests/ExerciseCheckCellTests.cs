using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ModelSecurity.Grading;
using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Format;
using Xunit.Abstractions;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>
/// Every registered exercise of every chapter, checked in the notebook (<c>Exercise(id).Check()</c>) in one engine per
/// chapter: the blank cell as shipped in the chapter notebook fails and says what to do, a typical wrong answer fails
/// and names the problem, and the reference solution from notebooks/solutions passes.
/// </summary>
/// <remarks>
/// Only the chapter's <c>#r</c>/<c>using</c> lines run before the exercises (the checks build their own inputs), and of
/// a solution cell only its method declarations (its demo lines use the chapter's variables); a cell without methods
/// (a value to compute) runs whole, after a small preamble with the chapter's <c>model</c>, <c>test</c> and <c>device</c>.
/// </remarks>
public class ExerciseCheckCellTests(ITestOutputHelper log)
{
    public static TheoryData<string> Chapters => new() { "00-setup-and-threat-models", "01-fgsm", "02-pgd-and-cw", "03-adversarial-training", "04-trades", "05-differential-privacy", "06-federated-learning", "07-certified-robustness-and-black-box", "08-poisoning-stealing-inversion" };

    /// <summary>A typical wrong answer per exercise (an edit of the reference solution) and a phrase its failure must contain.</summary>
    private static readonly Dictionary<string, (string Find, string Replace, string Expected)> WrongAnswers = new()
    {
        ["00-setup-and-threat-models/within-budget"] = ("(size.le(epsilon + 1e-6) & inBox)", "size.le(epsilon + 1e-6)", "[0, 1]"),
        ["01-fgsm/my-fgsm"] = ("images + epsilon * gradient.sign()", "images - epsilon * gradient.sign()", "opposite way"),
        ["01-fgsm/targeted-fgsm"] = ("images - epsilon * gradient.sign()", "images + epsilon * gradient.sign()", "opposite way"),
        ["01-fgsm/fool-the-survivors"] = ("x - stepSize * gradient.sign()", "x + stepSize * gradient.sign()", "must fall below"),
        ["02-pgd-and-cw/project-linf"] = ("delta.clamp(-epsilon, epsilon)", "delta.clamp(0, epsilon)", "ProjectLinf"),
        ["02-pgd-and-cw/project-l2"] = ("(epsilon / norms).clamp_max(1.0)", "(epsilon / norms)", "ProjectL2"),
        ["02-pgd-and-cw/break-masked"] = ("new SquareAttack(model, epsilon, maxQueries: 1000, seed: 0)", "new Pgd(model, epsilon, steps: 20, seed: 0)", "must fall below"),
        ["02-pgd-and-cw/pgd-step"] = ("var projected = norm == Norm.LInf ? ProjectLinf(moved - images, epsilon) : ProjectL2(moved - images, epsilon);", "var projected = moved - images;", "PgdStep"),
        ["03-adversarial-training/training-step"] = ("model.forward(adversarial)", "model.forward(images)", "AdversarialTrainingStep"),
        ["03-adversarial-training/fast-at-examples"] = ("(stepped - images).clamp(-epsilon, epsilon)", "(stepped - images)", "FastAtExamples"),
        ["03-adversarial-training/read-fast-at-runs"] = ("pgd[t] < 0.5 * bestBefore", "pgd[t] < bestBefore - 0.2", "ReadFastAtRun"),
        ["04-trades/trades-loss"] = ("(logP.exp() * (logP - logQ))", "(logQ.exp() * (logQ - logP))", "TradesLoss"),
        ["04-trades/pick-beta"] = ("Wilson(cleanCorrect[i], count).Lower < cleanTarget", "Wilson(cleanCorrect[i], count).Upper < cleanTarget", "PickBeta"),
        ["04-trades/robust-error-parts"] = ("flipped / n", "flipped / (double)right.sum().item<long>()", "RobustErrorParts"),
        ["05-differential-privacy/laplace-mechanism"] = ("double scale = sensitivity / epsilon;", "double scale = epsilon / sensitivity;", "LaplaceMechanism"),
        ["05-differential-privacy/clip-per-example"] = ("(maxGradNorm / (squaredNorms.sqrt() + 1e-6)).clamp_max(1.0)", "(maxGradNorm / (squaredNorms.sqrt() + 1e-6))", "ClipPerExample"),
        ["05-differential-privacy/epsilon-from-accountant"] = ("int steps = epochs * (int)Math.Round((double)datasetSize / batchSize);", "int steps = epochs;", "EpsilonAfter"),
        ["05-differential-privacy/audit-epsilon"] = ("double fprUpper = ClopperPearson.UpperBound(falsePositives, nonMembers, 0.025);", "double fprUpper = (double)falsePositives / nonMembers;", "overclaim"),
        ["06-federated-learning/weighted-average"] = ("double weight = sampleCounts[k] / n;", "double weight = 1.0 / deltas.Count;", "WeightedAverage"),
        ["06-federated-learning/trimmed-mean"] = ("result[i] = (float)(sum / kept);", "result[i] = (float)(sum / k);", "TrimmedMean"),
        ["06-federated-learning/pairwise-masks"] = ("v > u ? unchecked", "v < u ? unchecked", "MaskInput"),
        ["06-federated-learning/stealthy-shift"] = ("(float)(mean - z * Math.Sqrt(variance))", "(float)(mean + z * Math.Sqrt(variance))", "BELOW"),
        ["07-certified-robustness-and-black-box/choose-sigma"] = ("c.Correct && c.Radius >= radius", "c.Radius >= radius", "ChooseSigma"),
        ["07-certified-robustness-and-black-box/certified-radius"] = ("lower > 0.5 ? sigma * StandardNormal.Quantile(lower) : 0", "sigma * StandardNormal.Quantile(lower)", "CertifiedRadius"),
        ["07-certified-robustness-and-black-box/integrated-gradients"] = ("arange(1, steps + 1,", "arange(0, steps,", "IntegratedGradientsRiemann"),
        ["07-certified-robustness-and-black-box/success-within"] = ("succeeded[i] && q <= b", "q <= b", "SuccessWithin"),
        ["08-poisoning-stealing-inversion/backdoor-budget"] = ("Where(i => all[i] != targetClass)", "Where(i => all[i] == targetClass)", "attack success rate"),
        ["08-poisoning-stealing-inversion/poison-fraction"] = ("TensorIndex.Slice(24, 27), TensorIndex.Slice(24, 27)", "TensorIndex.Slice(0, 3), TensorIndex.Slice(0, 3)", "PoisonFraction"),
        ["08-poisoning-stealing-inversion/agreement"] = (".eq(second", ".ne(second", "Agreement"),
        ["08-poisoning-stealing-inversion/spectral-scores"] = ("var centred = features - features.mean(new long[] { 0 }, keepdim: true);", "var centred = features;", "SpectralScores"),
    };

    private const string ValuePreamble =
        "var model = ModelSecurity.Models.ShippedModels.LoadBaseline(CPU); model.eval();\n" +
        "var test = ModelSecurity.Data.FashionMnist.Load(ModelSecurity.Data.DataSplit.Test);\nvar device = CPU;";

    private static string NotebooksFolder => Path.Combine(RepositoryRoot(), "notebooks");

    [Fact]
    public void EveryRegisteredExerciseHasAWrongAnswerAndHints()
    {
        var exercises = CheckRegistry.Default.Exercises.Where(e => !e.StartsWith("toy/", StringComparison.Ordinal)).ToList();
        Assert.Equal(30, exercises.Count);
        Assert.Equal(exercises.Order(StringComparer.Ordinal), WrongAnswers.Keys.Order(StringComparer.Ordinal));
        foreach (string id in exercises)
        {
            var hints = Scripting.ExerciseMaterials.Hints(NotebooksFolder, id);
            Assert.True(hints is { Count: >= 2 }, $"{id}: at least two hints in notebooks/hints/");
            Assert.NotNull(Scripting.ExerciseMaterials.SolutionCode(NotebooksFolder, id));
            // The solution notebooks (one folder deeper) find the same hints and themselves as the solution.
            Assert.Equal(hints, Scripting.ExerciseMaterials.Hints(Path.Combine(NotebooksFolder, "solutions"), id));
            Assert.Equal(Scripting.ExerciseMaterials.SolutionCode(NotebooksFolder, id),
                Scripting.ExerciseMaterials.SolutionCode(Path.Combine(NotebooksFolder, "solutions"), id));
        }
    }

    [Theory]
    [MemberData(nameof(Chapters))]
    public async Task BlankFailsWrongFailsWithTheProblemSolutionPasses(string chapter)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var shipped = NotebookDocument.Load(Path.Combine(NotebooksFolder, chapter + ".ipynb"));
        var solution = NotebookDocument.Load(Path.Combine(NotebooksFolder, "solutions", chapter + ".ipynb"));
        var engine = new NotebookEngine(new EngineOptions { BaseDirectory = NotebooksFolder, NotebookName = chapter + ".ipynb" });
        string preamble = string.Join("\n", shipped.Cells.First(c => c.Kind == NotebookCellKind.Code).Source.Split('\n')
            .Where(l => l.StartsWith("#r", StringComparison.Ordinal) || l.StartsWith("using", StringComparison.Ordinal)));
        await Run(engine, preamble);

        var exercises = shipped.Cells.Where(c => c.ExerciseId is not null && c.HasTag("exercise")).ToList();
        Assert.Equal(CheckRegistry.Default.ExercisesInSet(chapter), exercises.Select(c => c.ExerciseId!).Order(StringComparer.Ordinal));
        bool valuePreambleRun = false;
        foreach (var blankCell in exercises)
        {
            string id = blankCell.ExerciseId!;
            string reference = solution.Cells.Single(c => c.ExerciseId == id && c.HasTag("exercise")).Source;
            string definitions = MethodsOnly(reference);
            if (definitions.Length == 0 && !valuePreambleRun) { await Run(engine, ValuePreamble); valuePreambleRun = true; }
            string referenceCode = definitions.Length > 0 ? definitions : reference;

            string blank = await Check(engine, blankCell.Source, id);
            Assert.True(blank.StartsWith($"✘ {id}", StringComparison.Ordinal), blank);
            Assert.True(blank.Contains("still blank", StringComparison.Ordinal) || blank.Contains("still NaN", StringComparison.Ordinal), blank);

            var (find, replace, expected) = WrongAnswers[id];
            Assert.True(referenceCode.Contains(find, StringComparison.Ordinal), $"{id}: the wrong-answer edit no longer applies to the solution");
            string wrong = await Check(engine, referenceCode.Replace(find, replace, StringComparison.Ordinal), id);
            Assert.True(wrong.StartsWith($"✘ {id}", StringComparison.Ordinal), wrong);
            Assert.True(wrong.Contains(expected, StringComparison.Ordinal), wrong);
            Assert.DoesNotContain("threw", wrong);

            string right = await Check(engine, referenceCode, id);
            Assert.True(right.StartsWith($"✔ {id}: correct", StringComparison.Ordinal), right);
            log.WriteLine($"{id}\n  blank: {Second(blank)}\n  wrong: {Second(wrong)}\n  right: {Second(right)}");
        }
        log.WriteLine($"{chapter}: {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static string Second(string report) => report.Split('\n').ElementAtOrDefault(1)?.Trim() ?? "";

    /// <summary>Runs the code as a cell (it must succeed), then the check cell; returns the check's text.</summary>
    private static async Task<string> Check(NotebookEngine engine, string code, string id)
    {
        await Run(engine, code);
        var sink = new CellOutputCollector();
        var result = await engine.ExecuteAsync($"Exercise(\"{id}\").Check()", sink);
        Assert.Equal(CellStatus.Succeeded, result.Status);
        return Plain(Assert.Single(sink.Outputs));
    }

    private static async Task Run(NotebookEngine engine, string code)
    {
        var sink = new CellOutputCollector();
        var result = await engine.ExecuteAsync(code, sink);
        Assert.True(result.Status == CellStatus.Succeeded, $"{code}\n→ {result.Error?.Traceback.FirstOrDefault()}");
    }

    /// <summary>The method declarations of a cell (its demo statements dropped), or "" when it declares none.</summary>
    private static string MethodsOnly(string code)
    {
        var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(kind: SourceCodeKind.Script)).GetRoot();
        return string.Join("\n\n", root.Members.OfType<MethodDeclarationSyntax>().Select(m => m.ToFullString().Trim()));
    }
}
