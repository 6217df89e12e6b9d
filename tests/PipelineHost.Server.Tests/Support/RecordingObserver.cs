using System.Collections.Concurrent;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Server.Tests.Support;

/// <summary>Records every state a task passes through, in order.</summary>
public sealed class RecordingObserver : ITaskObserver
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<int>> _states = new();

    public void OnTaskEvent(TaskEvent taskEvent)
    {
        if (taskEvent is TaskStatusChanged { StateChanged: true } changed)
        {
            _states.GetOrAdd(changed.Task.Token, _ => new()).Enqueue((int)changed.Task.State);
        }
    }

    public IReadOnlyList<int> States(string token) =>
        _states.TryGetValue(token, out var states) ? states.Distinct().ToList() : [];
}
