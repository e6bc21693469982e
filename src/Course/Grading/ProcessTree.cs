using System.Globalization;
using System.Runtime.InteropServices;

namespace ModelSecurity.Cli.Grading;

/// <summary>
/// Ends a grading worker with everything it started, on Linux without cgroups: the worker runs in its own session (so its
/// pid is also its process group and session id); killing ends every process of that session or group, every descendant
/// found through /proc (parent links), and every process carrying the run's marker in its environment (children that
/// started their own session and were re-parented). The grader is a child subreaper, so orphans of the worker are
/// re-parented to it rather than to init. Processes are killed until none is left (a fork bomb keeps forking while it dies).
/// </summary>
internal static class ProcessTree
{
    private const int SigKill = 9;
    private const int PrSetChildSubreaper = 36;

    // Plain libc calls (no NuGet package wraps kill/prctl/waitpid); DllImport keeps the project free of unsafe code.
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [DllImport("libc", SetLastError = true)]
    private static extern int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [DllImport("libc", SetLastError = true)]
    private static extern int waitpid(int pid, out int status, int options);

    private static int _subreaper;

    /// <summary>Makes this process the reaper of its descendants' orphans (once; Linux only, harmless elsewhere).</summary>
    public static void BecomeSubreaper()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _subreaper, 1) == 1) return;
        try { prctl(PrSetChildSubreaper, 1, 0, 0, 0); } catch (EntryPointNotFoundException) { }
    }

    /// <summary>Kills the worker <paramref name="root"/> and all it started; returns how many processes were killed.</summary>
    public static int KillAll(int root, string marker)
    {
        if (!OperatingSystem.IsLinux()) return 0;
        int killed = 0;
        var seen = new HashSet<int>();
        for (int round = 0; round < 100; round++)
        {
            kill(-root, SigKill); // the worker's process group (it is a session leader)
            var targets = Find(root, marker);
            if (targets.Count == 0) break;
            foreach (int pid in targets)
                if (kill(pid, SigKill) == 0 && seen.Add(pid)) killed++;
            Thread.Sleep(round < 10 ? 5 : 50);
        }
        // Orphans re-parented to this process are zombies now: reap them (never the worker itself: .NET waits for it).
        int self = Environment.ProcessId;
        foreach (int pid in seen)
            if (pid != root && Stat(pid) is { Parent: var parent } && parent == self) waitpid(pid, out _, 1 /* WNOHANG */);
        return killed;
    }

    private sealed record ProcStat(int Pid, int Parent, int Group, int Session, char State);

    private static List<int> Find(int root, string marker)
    {
        var all = new List<ProcStat>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && Stat(pid) is { } stat)
                all.Add(stat);
        var children = all.ToLookup(s => s.Parent);
        var found = new HashSet<int>();
        var queue = new Queue<int>([root]);
        while (queue.Count > 0)
            foreach (var child in children[queue.Dequeue()])
                if (found.Add(child.Pid)) queue.Enqueue(child.Pid);
        int self = Environment.ProcessId;
        int ownSession = all.FirstOrDefault(s => s.Pid == self)?.Session ?? -1;
        foreach (var s in all)
            if (s.Pid != self && (s.Group == root || s.Session == root || HasMarker(s.Pid, marker))) found.Add(s.Pid);
        // Whole sessions and groups of what was found (the worker's session is led by a child of the setsid shim).
        var sessions = all.Where(s => found.Contains(s.Pid)).Select(s => s.Session).Where(s => s != ownSession && s > 1).ToHashSet();
        foreach (var s in all)
            if (s.Pid != self && sessions.Contains(s.Session)) found.Add(s.Pid);
        if (Stat(root) is { State: not 'Z' }) found.Add(root);
        return found.Where(pid => Stat(pid) is { State: not 'Z' and not 'X' }).ToList();
    }

    private static ProcStat? Stat(int pid)
    {
        try
        {
            string text = File.ReadAllText($"/proc/{pid}/stat");
            // pid (comm) state ppid pgrp session ...: comm may contain spaces and parentheses, so parse after the last ')'.
            string[] fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return new ProcStat(pid, int.Parse(fields[1], CultureInfo.InvariantCulture), int.Parse(fields[2], CultureInfo.InvariantCulture),
                int.Parse(fields[3], CultureInfo.InvariantCulture), fields[0][0]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static bool HasMarker(int pid, string marker)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/environ").Contains(marker, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Tasks (threads) running on the machine now: RLIMIT_NPROC counts the user's tasks, so the limit is set above this.</summary>
    public static int TasksOnMachine()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        int count = 0;
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out _)) continue;
            try { count += Directory.GetDirectories(Path.Combine(dir, "task")).Length; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return count;
    }
}
